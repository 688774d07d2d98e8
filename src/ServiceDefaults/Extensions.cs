using System.Text.Json;
using System.Text.Json.Serialization;
using AiSocial.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AiSocial.ServiceDefaults;

/// <summary>What every AiSocial host shares: problem responses, JSON settings, health endpoints, OpenAPI and telemetry.</summary>
public static class Extensions
{
    private static readonly Dictionary<int, Problem> ProblemsByStatus = new[]
    {
        CommonProblems.MalformedRequest, CommonProblems.Unauthorized, CommonProblems.Forbidden, CommonProblems.NotFound,
        CommonProblems.MethodNotAllowed, CommonProblems.Conflict, CommonProblems.PayloadTooLarge, CommonProblems.UnsupportedMediaType,
        CommonProblems.InternalError,
    }.ToDictionary(p => p.Status);

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        // A missing dependency fails at start-up, not on the first request that needs it.
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));

        var services = builder.Services;
        services.AddProblemDetails(options => options.CustomizeProblemDetails = Complete);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        // Optional fields a response leaves out are absent, not null: a hidden prompt is simply not there.
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        services.AddOpenApi(options => options.AddOperationTransformer<AuthorizationResponses>().AddOperationTransformer<RequestResponses>().AddBearerSecurity());
        services.AddHealthChecks();
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxy) =>
        {
            // The client's address (sign-in throttling counts it) and whether it came over TLS (Secure cookies). The host
            // is not taken from a header: AllowedHosts decides which Host a request may name, so redirects stay ours.
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var network in proxy.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        // A Host outside AllowedHosts is refused with an empty 400, which becomes a problem like Kestrel's own refusals.
        services.Configure<HostFilteringOptions>(hosts => hosts.IncludeFailureMessage = false);
        services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.AddServerHeader = false; // what software answers is nobody's business
            RejectedRequests.Describe(kestrel);
        });
        builder.AddTelemetry();
        return builder;
    }

    /// <summary>Headers every answer carries, then problem responses for errors.</summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.Use((context, next) =>
        {
            // Content is served as its declared type, never sniffed; no URL of ours leaks to other sites.
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            return next(context);
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestBodyFailures();
        return app;
    }

    /// <summary><c>/health</c> (ready), <c>/alive</c>, <c>/openapi/v1.json</c> and its UI at <c>/scalar</c>.</summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        endpoints.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapOpenApi();
        endpoints.MapApiReference();
        return endpoints;
    }

    // Every problem leaves with a stable code and the request's path, whoever wrote it: a handler, the validation
    // filter, the exception handler or the status-code pages.
    private static void Complete(ProblemDetailsContext context)
    {
        var details = context.ProblemDetails;
        var status = details.Status ?? context.HttpContext.Response.StatusCode;
        if (!details.Extensions.ContainsKey("code"))
        {
            var problem = details is HttpValidationProblemDetails ? CommonProblems.ValidationFailed : ProblemsByStatus.GetValueOrDefault(status);
            if (problem is not null)
            {
                details.Type = problem.Type;
                details.Title = problem.Title;
                details.Extensions["code"] = problem.Code;
            }
        }

        if (details is HttpValidationProblemDetails { Errors.Count: > 0 } validation)
        {
            // The validation filter names fields as C# does (DisplayName); clients sent, and read, their JSON names.
            validation.Errors = validation.Errors.ToDictionary(e => JsonFieldName(e.Key), e => e.Value, StringComparer.Ordinal);
            details.Detail ??= string.Join(" ", validation.Errors.SelectMany(e => e.Value));
        }

        details.Detail ??= DefaultDetail(context.HttpContext, status);
        details.Instance ??= context.HttpContext.Request.Path;
    }

    // What a problem the framework raised without a word (the status-code pages, a refused form) tells the client.
    private static string? DefaultDetail(HttpContext context, int status)
    {
        var request = context.Request;
        return status switch
        {
            StatusCodes.Status401Unauthorized => "This needs a signed-in caller: send Authorization: Bearer <token>, the token POST /api/v1/sessions gives.",
            StatusCodes.Status403Forbidden => $"Your account's roles do not allow {request.Method} {request.Path}.",
            StatusCodes.Status404NotFound => $"There is nothing at {request.Method} {request.Path}.",
            StatusCodes.Status405MethodNotAllowed => context.Response.Headers.Allow is { Count: > 0 } allow
                ? $"{request.Path} does not take {request.Method}; it takes {string.Join(", ", allow.ToArray())}."
                : $"{request.Path} does not take {request.Method}.",
            StatusCodes.Status400BadRequest or StatusCodes.Status413PayloadTooLarge => RequestBodies.Explain(context, status),
            StatusCodes.Status415UnsupportedMediaType => AcceptedContentTypes(context) is { Count: > 0 } accepted
                ? $"This endpoint takes {string.Join(" or ", accepted)}; the request was {(string.IsNullOrEmpty(request.ContentType) ? "sent without a Content-Type" : $"'{request.ContentType}'")}."
                : null,
            _ => null,
        };
    }

    private static IReadOnlyList<string>? AcceptedContentTypes(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { } accepts)
        {
            return accepts.ContentTypes;
        }

        // Routing refuses a Content-Type no endpoint accepts with an endpoint of its own; find the one the request was for.
        var request = context.Request;
        return context.RequestServices.GetService<EndpointDataSource>()?.Endpoints.OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(request.Method) == true)
            .Where(endpoint => new TemplateMatcher(new RouteTemplate(endpoint.RoutePattern), []).TryMatch(request.Path, []))
            .Select(endpoint => endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes)
            .FirstOrDefault(types => types is { Count: > 0 });
    }

    private static string JsonFieldName(string path) =>
        string.Join('.', path.Split('.').Select(part => part.Length > 0 && char.IsUpper(part[0]) ? JsonNamingPolicy.CamelCase.ConvertName(part) : part));
}
