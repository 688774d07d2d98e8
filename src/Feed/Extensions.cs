using AiSocial.Feed.Apis;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Media;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;

namespace AiSocial.Feed;

public static class Extensions
{
    public static IHostApplicationBuilder AddFeed(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorization();

        // Room for the largest image allowed plus the form around it; the image limit itself is checked while reading.
        var maxImageBytes = builder.Configuration.GetSection(MediaOptions.Section).Get<MediaOptions>()?.MaxBytes ?? new MediaOptions().MaxBytes;
        var maxRequestBytes = maxImageBytes + 1024 * 1024;
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = maxRequestBytes);
        services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = maxRequestBytes);
        return builder;
    }

    public static IEndpointRouteBuilder MapFeedApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", () => TypedResults.Ok(new { name = "AiSocial Feed", api = "/api/v1", docs = "/scalar", openapi = "/openapi/v1.json" }))
            .ExcludeFromDescription();
        var api = endpoints.MapGroup("/api/v1");
        api.MapAccountsApi();
        api.MapPostsApi();
        api.MapTimelinesApi();
        api.MapConsentApi();
        endpoints.MapMediaApi();
        return endpoints;
    }
}
