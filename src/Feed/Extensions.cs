using AiSocial.Authentication;
using AiSocial.Feed.Apis;
using AiSocial.Ingest;
using AiSocial.Ingest.Media;
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
        var services = builder.Services;
        services.AddAuthentication(BearerTokens.Scheme).AddBearerTokens();
        services.AddAuthorization();
        services.AddValidation();

        // Room for the largest image allowed plus the form around it; the image limit itself is checked while reading.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<MediaOptions>>((kestrel, media) =>
            kestrel.Limits.MaxRequestBodySize = MaxRequestBytes(media.Value));
        services.AddOptions<FormOptions>().Configure<IOptions<MediaOptions>>((form, media) =>
            form.MultipartBodyLengthLimit = MaxRequestBytes(media.Value));
        return builder;
    }

    private static long MaxRequestBytes(MediaOptions media) => media.MaxBytes + 1024 * 1024;

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
