using System.ComponentModel.DataAnnotations;

namespace AiSocial.Ingest.Timelines;

public sealed record TimelineOptions
{
    public const string Section = "Timelines";

    /// <summary>How often the trending ranking is recomputed on the host that runs the scheduler; zero switches it off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan TrendingInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Only posts published this recently can trend.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "90.00:00:00")]
    public TimeSpan TrendingWindow { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How many posts one trending snapshot ranks.</summary>
    [Range(1, 100_000)]
    public int TrendingSize { get; init; } = 1000;

    /// <summary>
    /// How long a superseded snapshot is kept for readers still paging through it; a cursor into an older one is refused
    /// with <c>cursor-expired</c>. Keep it longer than <see cref="TrendingInterval"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan TrendingRetention { get; init; } = TimeSpan.FromHours(1);
}
