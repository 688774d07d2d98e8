using System.Diagnostics;
using System.Diagnostics.Metrics;
using AiSocial.Moderation.Review;
using Npgsql;

namespace AiSocial.Moderation;

/// <summary>
/// Moderation's meter and activity source, <c>AiSocial.Moderation</c>: posts scanned, published and rejected, how
/// long each check takes, and the review queue's depth and oldest task (read from the database at most every few
/// seconds, so every node reports the shared queue).
/// </summary>
public sealed class ModerationTelemetry
{
    public const string Name = "AiSocial.Moderation";

    public static readonly ActivitySource Activities = new(Name);

    private static readonly TimeSpan QueueReadInterval = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly Lock _queueLock = new();
    private (DateTime ReadAt, long Depth, double OldestSeconds)? _queue;

    public ModerationTelemetry(IMeterFactory meters, NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        var meter = meters.Create(Name);
        PostsScanned = meter.CreateCounter<long>("aisocial.posts.scanned", "{post}", "Posts the scanner finished, by outcome (review, rejected, retry).");
        PostsPublished = meter.CreateCounter<long>("aisocial.posts.published", "{post}", "Posts made public, by who decided.");
        PostsRejected = meter.CreateCounter<long>("aisocial.posts.rejected", "{post}", "Posts refused or taken down, by who decided (policy, review).");
        CheckDuration = meter.CreateHistogram<double>("aisocial.scan.check.duration", "s", "How long each check took on a post, and whether it could run.");
        meter.CreateObservableGauge("aisocial.review.queue.depth", () => ReadQueue().Depth, "{task}", "Open review tasks.");
        meter.CreateObservableGauge("aisocial.review.queue.oldest_age", () => ReadQueue().OldestSeconds, "s", "How long the oldest open review task has waited.");
    }

    public Counter<long> PostsScanned { get; }

    public Counter<long> PostsPublished { get; }

    public Counter<long> PostsRejected { get; }

    public Histogram<double> CheckDuration { get; }

    // Observable instruments are read synchronously when a reader collects; the result is kept for a few seconds so a
    // busy scraper does not turn into a query per scrape.
    private (long Depth, double OldestSeconds) ReadQueue()
    {
        lock (_queueLock)
        {
            if (_queue is { } known && DateTime.UtcNow - known.ReadAt < QueueReadInterval)
            {
                return (known.Depth, known.OldestSeconds);
            }

            var (depth, oldest) = ReviewQueue.ReadDepth(_dataSource);
            _queue = (DateTime.UtcNow, depth, oldest.TotalSeconds);
            return (depth, oldest.TotalSeconds);
        }
    }
}
