using AiSocial.Export.Runs;
using Quartz;

namespace AiSocial.AdminConsole.Datasets;

/// <summary>
/// Writes one range of a planned export run's shards (<see cref="ExportRunner.WriteShardRangeAsync"/>) on whichever
/// node of the cluster the clustered store hands it; the range that completes the run publishes it. One job per range,
/// scheduled once by <see cref="QuartzShardQueue"/>; recovered on another node if this one dies mid-range (the range
/// is written again, and counts once).
/// </summary>
internal sealed class ExportShardJob(ExportRunner runner, ILogger<ExportShardJob> logger) : IJob
{
    public const string Group = "export-shards";
    public const string RunId = "runId";
    public const string Range = "range";

    public static JobKey KeyFor(Guid runId, int range) => new($"{runId:N}-{range}", Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var runId = Guid.Parse(context.MergedJobDataMap.GetString(RunId)!);
        var range = context.MergedJobDataMap.GetInt(Range);
        try
        {
            await runner.WriteShardRangeAsync(runId, range, context.Scheduler.SchedulerInstanceId, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The run is failed and audited already; firing the job again would only find it ended.
            logger.LogError(exception, "Range {Range} of export run {RunId} failed; the run is failed", range, runId);
        }
    }
}

/// <summary>
/// Queues a planned run's ranges as <see cref="ExportShardJob"/>s on the clustered store, each to fire at once on any
/// node. A node whose own scheduler is not running (a console with <c>Console:RunScheduler</c> off) declines, and the
/// runner writes the ranges itself, so a run never waits for a cluster that may not be there.
/// </summary>
internal sealed class QuartzShardQueue(ISchedulerFactory schedulers) : IExportShardQueue
{
    public async Task<bool> EnqueueAsync(Guid runId, int ranges, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        if (await scheduler.GetStatus(cancellationToken) != SchedulerStatus.Running)
        {
            return false;
        }

        var jobs = new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>>();
        for (var range = 0; range < ranges; range++)
        {
            var key = ExportShardJob.KeyFor(runId, range);
            var job = JobBuilder.Create<ExportShardJob>().WithIdentity(key)
                .UsingJobData(ExportShardJob.RunId, runId.ToString())
                .UsingJobData(ExportShardJob.Range, range)
                .RequestRecovery()
                .Build();
            jobs[job] = [TriggerBuilder.Create().WithIdentity(key.Name, key.Group).ForJob(job).StartNow().Build()];
        }

        await scheduler.ScheduleJobs(jobs, new ScheduleJobOptions(), cancellationToken);
        return true;
    }
}
