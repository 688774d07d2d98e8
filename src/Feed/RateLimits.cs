using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using AiSocial.Ingest.Accounts;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace AiSocial.Feed;

/// <summary>
/// How many API requests one account, and one client address, may send per window. Both apply to a signed-in caller;
/// the address limit is higher, since many people can share one address.
/// </summary>
public sealed record RateLimitOptions
{
    public const string Section = "RateLimits";

    [Range(1, 100_000_000)]
    public int PerAccountPermitLimit { get; init; } = 1200;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PerAccountWindow { get; init; } = TimeSpan.FromMinutes(1);

    [Range(1, 100_000_000)]
    public int PerAddressPermitLimit { get; init; } = 6000;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PerAddressWindow { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Per-account and per-address limits on <c>/api</c> with ASP.NET Core's rate limiter (fixed windows, no queueing): a
/// request over either is refused with a 429 <c>rate-limited</c> problem and <c>Retry-After</c>. Media, health and the
/// API reference are not limited.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddFeedRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((limiter, configured) =>
        {
            var limits = configured.Value;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = RejectAsync;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsLimited(context)
                    ? RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                        _ => Window(limits.PerAddressPermitLimit, limits.PerAddressWindow))
                    : RateLimitPartition.GetNoLimiter("")),
                PartitionedRateLimiter.Create<HttpContext, Guid>(context => IsLimited(context) && context.User.Identity?.IsAuthenticated == true
                    ? RateLimitPartition.GetFixedWindowLimiter(context.User.AccountId(), _ => Window(limits.PerAccountPermitLimit, limits.PerAccountWindow))
                    : RateLimitPartition.GetNoLimiter(Guid.Empty)));
        });
        services.Configure<OpenApiOptions>("v1", openApi => openApi.AddOperationTransformer<RateLimitResponses>());
        return services;
    }

    private static bool IsLimited(HttpContext context) => context.Request.Path.StartsWithSegments("/api");

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await ProblemResponses.WriteAsync(context, CommonProblems.RateLimited,
            $"This {(context.User.Identity?.IsAuthenticated == true ? "account or address" : "address")} sent more requests than the API takes in its window; " +
            $"send more in {seconds} s.");
    }

    /// <summary>Lists the 429 every rate-limited operation can answer with.</summary>
    private sealed class RateLimitResponses : IOpenApiOperationTransformer
    {
        public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
        {
            if (context.Description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) != true)
            {
                return;
            }

            var schema = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken);
            operation.Responses ??= [];
            operation.Responses.TryAdd("429", new OpenApiResponse
            {
                Description = "Too many requests from this account or address (rate-limited), or another limit named in the problem; see Retry-After.",
                Content = new Dictionary<string, OpenApiMediaType> { [ProblemResponses.ContentType] = new() { Schema = schema } },
            });
        }
    }
}
