using Microsoft.Extensions.Logging;
using Quartz;

namespace AiSocial.Moderation.Scanning;

/// <summary>
/// Scans submitted posts until the outbox has none ready. Firings may overlap across the cluster on purpose: every
/// node that picks one up scans its own leased batches (the outbox hands each post to one lease at a time), so adding
/// nodes adds throughput. A firing that lands on a node already scanning ends at once.
/// </summary>
internal sealed class ScanJob(PostScanner scanner, ILogger<ScanJob> logger) : IJob
{
    public static readonly JobKey Key = new("scan-submitted-posts", "moderation");
    public static readonly TriggerKey TriggerKey = new("scan-submitted-posts.interval", "moderation");

    /// <summary>The trigger of scan slot <paramref name="slot"/>; the first keeps the key the single trigger had.</summary>
    public static TriggerKey TriggerKeyOf(int slot) => slot == 0 ? TriggerKey : new($"{TriggerKey.Name}.{slot}", TriggerKey.Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var report = await scanner.ScanUntilIdleUnlessBusyAsync(cancellationToken);
        if (report is { Leased: > 0 })
        {
            logger.LogInformation("Scanned {Leased} posts: {Rejected} rejected, {Review} to review, {Retried} retried later, {Published} published",
                report.Leased, report.Rejected, report.QueuedForReview, report.Retried, report.Published);
        }
    }
}
