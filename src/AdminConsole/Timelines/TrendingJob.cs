using AiSocial.Ingest.Timelines;
using Microsoft.Extensions.Options;
using Quartz;

namespace AiSocial.AdminConsole.Timelines;

/// <summary>Writes a new trending snapshot (see <see cref="TrendingRanker"/>); one firing at a time across the cluster.</summary>
[DisallowConcurrentExecution]
internal sealed class TrendingJob(TrendingRanker ranker) : IJob
{
    public static readonly JobKey Key = new("rank-trending", "ingest");
    public static readonly TriggerKey TriggerKey = new("rank-trending.interval", "ingest");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await ranker.RecomputeAsync(cancellationToken);
}

internal static class TrendingSchedule
{
    /// <summary>The ranking every <see cref="TimelineOptions.TrendingInterval"/>, first at start; zero switches it off (and unschedules a stored trigger).</summary>
    public static IQuartzBuilder AddTrendingRanking(this IQuartzBuilder quartz)
    {
        quartz.AddJob<TrendingJob>(job => job.WithIdentity(TrendingJob.Key));
        quartz.AddConfiguredTrigger<TrendingJob>($"{TimelineOptions.Section}:{nameof(TimelineOptions.TrendingInterval)}",
            (services, _) => Interval(services) > TimeSpan.Zero ? "on" : "-",
            (services, _, trigger) => trigger.ForJob(TrendingJob.Key).WithIdentity(TrendingJob.TriggerKey)
                .WithSimpleSchedule(s => s.WithInterval(Interval(services)).RepeatForever())
                .StartNow());
        return quartz;
    }

    private static TimeSpan Interval(IServiceProvider services) => services.GetRequiredService<IOptions<TimelineOptions>>().Value.TrendingInterval;
}
