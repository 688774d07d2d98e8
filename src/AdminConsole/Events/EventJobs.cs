using AiSocial.Ingest.Events;
using AiSocial.Ingest.Posts;
using Microsoft.Extensions.Options;
using Quartz;

namespace AiSocial.AdminConsole.Events;

/// <summary>Creates the daily partitions of the event table ahead of time (see <see cref="EventPartitions"/>).</summary>
[DisallowConcurrentExecution]
internal sealed class EventPartitionJob(EventPartitions partitions) : IJob
{
    public static readonly JobKey Key = new("event-partitions", "ingest");
    public static readonly TriggerKey TriggerKey = new("event-partitions.interval", "ingest");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await partitions.EnsureAsync(cancellationToken);
}

/// <summary>Rolls new events into post counters, exactly once (see <see cref="EventRollup"/>); one firing at a time across the cluster.</summary>
[DisallowConcurrentExecution]
internal sealed class EventRollupJob(EventRollup rollup) : IJob
{
    public static readonly JobKey Key = new("event-rollup", "ingest");
    public static readonly TriggerKey TriggerKey = new("event-rollup.interval", "ingest");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await rollup.RunAsync(cancellationToken);
}

/// <summary>Forgets Idempotency-Keys older than 24 hours (see <see cref="IdempotencyKeyPurge"/>).</summary>
[DisallowConcurrentExecution]
internal sealed class IdempotencyKeyPurgeJob(IdempotencyKeyPurge purge) : IJob
{
    public static readonly JobKey Key = new("idempotency-key-purge", "ingest");
    public static readonly TriggerKey TriggerKey = new("idempotency-key-purge.interval", "ingest");

    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await purge.PurgeAsync(cancellationToken);
}

internal static class EventSchedule
{
    /// <summary>The event jobs on their configured intervals (zero switches one off and unschedules its stored trigger), and the hourly key purge.</summary>
    public static IQuartzBuilder AddEventJobs(this IQuartzBuilder quartz)
    {
        quartz.AddJob<EventPartitionJob>(job => job.WithIdentity(EventPartitionJob.Key));
        quartz.AddConfiguredTrigger<EventPartitionJob>($"{EventOptions.Section}:{nameof(EventOptions.PartitionInterval)}",
            (services, _) => Options(services).PartitionInterval > TimeSpan.Zero ? "on" : "-",
            (services, _, trigger) => trigger.ForJob(EventPartitionJob.Key).WithIdentity(EventPartitionJob.TriggerKey)
                .WithSimpleSchedule(s => s.WithInterval(Options(services).PartitionInterval).RepeatForever())
                .StartNow());
        quartz.AddJob<EventRollupJob>(job => job.WithIdentity(EventRollupJob.Key).RequestRecovery());
        quartz.AddConfiguredTrigger<EventRollupJob>($"{EventOptions.Section}:{nameof(EventOptions.RollupInterval)}",
            (services, _) => Options(services).RollupInterval > TimeSpan.Zero ? "on" : "-",
            (services, _, trigger) => trigger.ForJob(EventRollupJob.Key).WithIdentity(EventRollupJob.TriggerKey)
                .WithSimpleSchedule(s => s.WithInterval(Options(services).RollupInterval).RepeatForever())
                .StartNow());
        quartz.AddJob<IdempotencyKeyPurgeJob>(job => job.WithIdentity(IdempotencyKeyPurgeJob.Key));
        quartz.AddTrigger(trigger => trigger.ForJob(IdempotencyKeyPurgeJob.Key).WithIdentity(IdempotencyKeyPurgeJob.TriggerKey)
            .WithSimpleSchedule(s => s.WithInterval(IdempotencyKeyPurgeJob.Interval).RepeatForever())
            .StartAt(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1)));
        return quartz;
    }

    private static EventOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<EventOptions>>().Value;
}
