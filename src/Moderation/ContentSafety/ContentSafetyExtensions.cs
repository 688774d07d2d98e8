using System.Net;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Prompts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;
using Quartz;

namespace AiSocial.Moderation.ContentSafety;

internal static class ContentSafetyExtensions
{
    private static readonly string EndpointKey = $"{ContentSafetyOptions.Section}:{nameof(ContentSafetyOptions.Endpoint)}";

    /// <summary>Whether <c>ContentSafety:Endpoint</c> is set: without it, nothing of Content Safety exists.</summary>
    public static bool IsContentSafetyConfigured(this IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[EndpointKey]);

    /// <summary>
    /// The client, the three post checks (text, image, protected material), the two prompt checks (Prompt Shields,
    /// protected material; after the blocklist and the classifier, which cost nothing) and the blocklist sync, all
    /// only when the endpoint is configured.
    /// </summary>
    public static IHostApplicationBuilder AddContentSafety(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ContentSafetyOptions>().BindConfiguration(ContentSafetyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (!builder.Configuration.IsContentSafetyConfigured())
        {
            return builder;
        }

        services.TryAddSingleton<ContentSafetyRateLimit>();
        services.AddHttpClient(ContentSafetyClient.HttpClientName, (provider, http) =>
            {
                // The pipeline's total timeout decides; this only stops a request the pipeline somehow lost track of.
                http.Timeout = TimeSpan.FromSeconds(Options(provider).TimeoutSeconds + 5);
            })
            .AddResilienceHandler("content-safety", (pipeline, context) => Configure(pipeline,
                Options(context.ServiceProvider), context.ServiceProvider.GetRequiredService<ContentSafetyRateLimit>()));
        services.TryAddSingleton<ContentSafetyClient>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, ContentSafetyTextCheck>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, ContentSafetyImageCheck>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, ContentSafetyProtectedMaterialCheck>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPromptCheck, PromptShieldsPromptCheck>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPromptCheck, ProtectedMaterialPromptCheck>());
        services.TryAddSingleton<ContentSafetyBlocklistSync>();
        services.TryAddTransient<ContentSafetyBlocklistSyncJob>();
        return builder;
    }

    /// <summary>The blocklist sync, scheduled every <see cref="ContentSafetyOptions.BlocklistSyncMinutes"/> from start, only when Content Safety is configured.</summary>
    public static IQuartzBuilder AddContentSafetyBlocklistSync(this IQuartzBuilder quartz)
    {
        quartz.AddJob<ContentSafetyBlocklistSyncJob>(job => job.WithIdentity(ContentSafetyBlocklistSyncJob.Key));
        quartz.AddConfiguredTrigger<ContentSafetyBlocklistSyncJob>(EndpointKey,
            (services, _) => services.GetRequiredService<IConfiguration>().IsContentSafetyConfigured() ? "on" : Extensions.QuartzSwitchedOff,
            (services, _, trigger) => trigger.ForJob(ContentSafetyBlocklistSyncJob.Key)
                .WithIdentity(ContentSafetyBlocklistSyncJob.TriggerKey)
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromMinutes(Options(services).BlocklistSyncMinutes)).RepeatForever())
                .StartNow());
        return quartz;
    }

    /// <summary>
    /// Outermost first: the total timeout (retries and rate-limit waits included), retries of 429/500/503, dropped
    /// connections and timed-out attempts (honouring <c>Retry-After</c>; never 400/401/403/404), the circuit breaker,
    /// the rate limit (inside the retries, so every attempt counts against the service's 1000 per 10 s), and the
    /// per-attempt timeout.
    /// </summary>
    internal static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, ContentSafetyOptions options, ContentSafetyRateLimit rateLimit)
    {
        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "total", Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds) });
        if (options.MaxRetries > 0)
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(options.RetryDelayMilliseconds),
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome)),
            });
        }

        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = 0.5,
            MinimumThroughput = options.CircuitBreakerMinimumThroughput,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = TimeSpan.FromSeconds(options.CircuitBreakerBreakSeconds),
            ShouldHandle = args => ValueTask.FromResult(IsOutage(args.Outcome)),
        });
        pipeline.AddRateLimiter(rateLimit.Limiter);
        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "attempt", Timeout = TimeSpan.FromSeconds(options.AttemptTimeoutSeconds) });
    }

    /// <summary>Throttling and outages are retried; a request the service refused as wrong (400, 401, 403, 404) would be refused again.</summary>
    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome) =>
        outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests || IsOutage(outcome);

    /// <summary>What counts against the circuit: the service failing, not the service throttling.</summary>
    private static bool IsOutage(Outcome<HttpResponseMessage> outcome) =>
        outcome.Result?.StatusCode is HttpStatusCode.InternalServerError or HttpStatusCode.ServiceUnavailable
        || outcome.Exception is HttpRequestException or TimeoutRejectedException;

    private static ContentSafetyOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<ContentSafetyOptions>>().Value;
}
