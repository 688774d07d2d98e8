using AiSocial.Ingest.Media;
using Microsoft.Extensions.Options;
using Quartz;

namespace AiSocial.AdminConsole.Media;

/// <summary>Removes media files no row refers to (see <see cref="MediaSweeper"/>); one firing at a time across the cluster.</summary>
[DisallowConcurrentExecution]
internal sealed class MediaSweepJob(MediaSweeper sweeper) : IJob
{
    public static readonly JobKey Key = new("sweep-media", "ingest");
    public static readonly TriggerKey TriggerKey = new("sweep-media.interval", "ingest");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await sweeper.SweepAsync(cancellationToken);
}

internal static class MediaSweepSchedule
{
    /// <summary>The sweep every <see cref="MediaOptions.SweepInterval"/>; zero switches it off (and unschedules a stored trigger).</summary>
    public static IQuartzBuilder AddMediaSweep(this IQuartzBuilder quartz)
    {
        quartz.AddJob<MediaSweepJob>(job => job.WithIdentity(MediaSweepJob.Key));
        quartz.AddConfiguredTrigger<MediaSweepJob>($"{MediaOptions.Section}:{nameof(MediaOptions.SweepInterval)}",
            (services, _) => Interval(services) > TimeSpan.Zero ? "on" : "-",
            (services, _, trigger) => trigger.ForJob(MediaSweepJob.Key).WithIdentity(MediaSweepJob.TriggerKey)
                .WithSimpleSchedule(s => s.WithInterval(Interval(services)).RepeatForever())
                .StartAt(DateTimeOffset.UtcNow + Min(Interval(services), TimeSpan.FromMinutes(5))));
        return quartz;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Interval(IServiceProvider services) => services.GetRequiredService<IOptions<MediaOptions>>().Value.SweepInterval;
}
