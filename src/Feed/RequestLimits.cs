using AiSocial.Ingest.Media;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace AiSocial.Feed;

/// <summary>
/// A body size limit on every endpoint: what an endpoint declares (<see cref="LimitRequestBody{TBuilder}"/>), else the
/// largest image plus its form for one that takes multipart, else <see cref="JsonBodyBytes"/>. A larger body is refused
/// with a 413 problem before it is read through.
/// </summary>
public static class RequestLimits
{
    /// <summary>Every JSON body the API takes fits many times over.</summary>
    public const long JsonBodyBytes = 64 * 1024;

    private sealed record BodyLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;

    public static TBuilder LimitRequestBody<TBuilder>(this TBuilder builder, long bytes)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new BodyLimit(bytes));

    /// <summary>Room for the largest image allowed plus the form around it; the image limit itself is checked while reading.</summary>
    public static long MultipartBodyBytes(MediaOptions media) => media.MaxBytes + 1024 * 1024;

    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app)
    {
        var multipart = MultipartBodyBytes(app.ApplicationServices.GetRequiredService<IOptions<MediaOptions>>().Value);
        return app.Use((context, next) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } body)
            {
                var metadata = context.GetEndpoint()?.Metadata;
                body.MaxRequestBodySize = metadata?.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize
                    ?? (metadata?.GetMetadata<IAcceptsMetadata>()?.ContentTypes.Contains("multipart/form-data", StringComparer.OrdinalIgnoreCase) == true
                        ? multipart
                        : JsonBodyBytes);
            }

            return next(context);
        });
    }
}
