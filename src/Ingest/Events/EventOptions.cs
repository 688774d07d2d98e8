using System.ComponentModel.DataAnnotations;

namespace AiSocial.Ingest.Events;

/// <summary>How interaction events are queued, written, partitioned and rolled up.</summary>
public sealed record EventOptions
{
    public const string Section = "Events";

    /// <summary>Events waiting for the writer at most; beyond this a request is refused (503, Retry-After) rather than queued.</summary>
    [Range(EventRecorder.MaxEventsPerRequest, 10_000_000)]
    public int MaxQueuedEvents { get; init; } = 200_000;

    /// <summary>Events in one COPY (one transaction) at most; what is queued beyond waits for the next.</summary>
    [Range(EventRecorder.MaxEventsPerRequest, 10_000_000)]
    public int MaxEventsPerCopy { get; init; } = 100_000;

    /// <summary>Daily partitions kept ready ahead of today (UTC), by the start-up check, the writer and the scheduled job.</summary>
    [Range(1, 366)]
    public int PartitionDaysAhead { get; init; } = 7;

    /// <summary>How often the host that runs the scheduler creates partitions ahead; zero switches the job off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan PartitionInterval { get; init; } = TimeSpan.FromHours(6);

    /// <summary>How often the host that runs the scheduler rolls new events into post counters; zero switches it off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RollupInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Events counted in one rollup transaction at most; a rollup repeats until it has caught up.</summary>
    [Range(1, 100_000_000)]
    public int MaxEventsPerRollup { get; init; } = 1_000_000;
}
