using AiSocial.Ingest.Audit;
using Microsoft.Extensions.Logging;
using Quartz;

namespace AiSocial.Moderation.TextClassifier;

/// <summary>
/// Retrains the text classifier when enough human labels arrived since the latest version (or always, when fired
/// with <see cref="ForceKey"/>); the new version goes to shadow. One run at a time across the cluster.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class TextClassifierRetrainJob(TextModelRegistry registry, ILogger<TextClassifierRetrainJob> logger) : IJob
{
    public static readonly JobKey Key = new("text-classifier-retrain", "moderation");
    public static readonly TriggerKey TriggerKey = new("text-classifier-retrain.interval", "moderation");

    /// <summary>Job data flag: train now whatever the number of new labels.</summary>
    public const string ForceKey = "force";

    private static readonly Actor Retrainer = Actor.System("text-classifier-retrain");

    /// <summary>Fires the job once now, forced, on the scheduler the factory gives.</summary>
    public static async Task TriggerNowAsync(ISchedulerFactory schedulers, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await scheduler.TriggerJob(Key, new JobDataMap { [ForceKey] = true }, cancellationToken);
    }

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var force = context.MergedJobDataMap.TryGetValue(ForceKey, out var value)
            && (value is true || (value is string text && bool.TryParse(text, out var parsed) && parsed));
        await RunAsync(force, cancellationToken);
    }

    /// <summary>What one firing does: the new shadow version, or null when none was due or training was refused.</summary>
    public async Task<TextModelVersion?> RunAsync(bool force, CancellationToken cancellationToken)
    {
        var trained = force ? await registry.TrainAsync(Retrainer, cancellationToken) : await registry.TrainIfDueAsync(Retrainer, cancellationToken);
        if (trained?.Refusal is { } refused)
        {
            logger.LogInformation("Text classifier not retrained: {Reason}", refused.Detail);
            return null;
        }

        return trained?.Value;
    }
}
