using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace AiSocial.Moderation.Scanning;

/// <summary>Scans submitted posts until the outbox has none ready; one firing at a time across the cluster.</summary>
[DisallowConcurrentExecution]
public sealed class ScanJob(PostScanner scanner, IOptions<ModerationOptions> options, ILogger<ScanJob> logger) : IJob
{
    public static readonly JobKey Key = new("scan-submitted-posts", "moderation");
    public static readonly TriggerKey TriggerKey = new("scan-submitted-posts.interval", "moderation");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        ScanReport report;
        do
        {
            report = await scanner.ScanBatchAsync(cancellationToken);
            if (report.Leased > 0)
            {
                logger.LogInformation("Scanned {Leased} posts: {Rejected} rejected, {Review} to review, {Retried} retried later",
                    report.Leased, report.Rejected, report.QueuedForReview, report.Retried);
            }
        }
        while (report.Leased == options.Value.ScanBatchSize && !cancellationToken.IsCancellationRequested);
    }
}
