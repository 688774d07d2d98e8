using System.Text.Json;
using System.Text.Json.Serialization;
using AiSocial.Ingest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Scalar.AspNetCore;

namespace AiSocial.ServiceDefaults;

/// <summary>What every AiSocial host shares: problem responses, JSON settings, health endpoints and OpenAPI.</summary>
public static class Extensions
{
    private static readonly Dictionary<int, string> CodesByStatus = new()
    {
        [400] = Problems.MalformedRequest.Code,
        [401] = Problems.Unauthorized.Code,
        [403] = Problems.Forbidden.Code,
        [404] = Problems.NotFound.Code,
        [405] = "method-not-allowed",
        [409] = "conflict",
        [413] = Problems.PayloadTooLarge.Code,
        [415] = Problems.UnsupportedMediaType.Code,
        [500] = "internal-error",
    };

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        // A missing dependency fails at start-up, not on the first request that needs it.
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));

        var services = builder.Services;
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            if (!context.ProblemDetails.Extensions.ContainsKey("code") && CodesByStatus.TryGetValue(status, out var code))
            {
                context.ProblemDetails.Extensions["code"] = code;
            }
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
        services.AddOpenApi();
        services.AddHealthChecks();
        return builder;
    }

    /// <summary>Problem responses for errors, <c>/health</c> (ready), <c>/alive</c>, <c>/openapi/v1.json</c> and its UI at <c>/scalar</c>.</summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        endpoints.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapOpenApi();
        endpoints.MapScalarApiReference();
        return endpoints;
    }
}
