using Microsoft.Extensions.Logging;
using Quartz;

namespace AiSocial.Moderation.Scanning;

/// <summary>Scans submitted posts until the outbox has none ready; one firing at a time across the cluster.</summary>
[DisallowConcurrentExecution]
internal sealed class ScanJob(PostScanner scanner, ILogger<ScanJob> logger) : IJob
{
    public static readonly JobKey Key = new("scan-submitted-posts", "moderation");
    public static readonly TriggerKey TriggerKey = new("scan-submitted-posts.interval", "moderation");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var report = await scanner.ScanUntilIdleAsync(cancellationToken);
        if (report.Leased > 0)
        {
            logger.LogInformation("Scanned {Leased} posts: {Rejected} rejected, {Review} to review, {Retried} retried later, {Published} published",
                report.Leased, report.Rejected, report.QueuedForReview, report.Retried, report.Published);
        }
    }
}
