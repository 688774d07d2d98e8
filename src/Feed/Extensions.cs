using AiSocial.Authentication;
using AiSocial.Feed.Apis;
using AiSocial.Ingest;
using AiSocial.Ingest.Media;
using AiSocial.Moderation;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace AiSocial.Feed;

public static class Extensions
{
    /// <summary>The public API's services: the system of record, bearer tokens, request validation and body limits.</summary>
    public static IHostApplicationBuilder AddFeed(this IHostApplicationBuilder builder)
    {
        builder.AddIngest();
        builder.AddModeration();
        var services = builder.Services;
        services.AddAuthentication(BearerTokens.Scheme).AddBearerTokens();
        services.AddAuthorization();
        services.AddValidation();

        // The server's ceiling is the largest body any endpoint takes; RequestLimits holds each endpoint to its own.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<MediaOptions>>((kestrel, media) =>
            kestrel.Limits.MaxRequestBodySize = RequestLimits.MultipartBodyBytes(media.Value));
        services.AddOptions<FormOptions>().Configure<IOptions<MediaOptions>>((form, media) =>
            form.MultipartBodyLengthLimit = RequestLimits.MultipartBodyBytes(media.Value));
        services.AddFeedRateLimits();
        return builder;
    }

    /// <summary>
    /// The Feed answers with data, not pages: nothing it sends may run script, load anything or be framed. The API
    /// reference page is the exception, and may use its own scripts and styles only.
    /// </summary>
    public static WebApplication UseFeedContentSecurityPolicy(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.Response.Headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/scalar")
                ? "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
                : "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
            return next(context);
        });
        return app;
    }

    public static IEndpointRouteBuilder MapFeedApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", () => TypedResults.Ok(new { name = "AiSocial Feed", api = "/api/v1", docs = "/scalar", openapi = "/openapi/v1.json" }))
            .ExcludeFromDescription();
        var api = endpoints.MapGroup("/api/v1").CheckTextInput();
        api.MapAccountsApi();
        api.MapPostsApi();
        api.MapTimelinesApi();
        api.MapConsentApi();
        api.MapOptOutsApi();
        api.MapGenerationsApi();
        api.MapInteractionsApi();
        api.MapRelationshipsApi();
        api.MapNotificationsApi();
        api.MapReportsApi();
        api.MapEventsApi();
        endpoints.MapMediaApi().CheckTextInput();
        return endpoints;
    }
}
