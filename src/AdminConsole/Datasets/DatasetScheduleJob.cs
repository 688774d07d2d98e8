using AiSocial.Export.Runs;
using Quartz;

namespace AiSocial.AdminConsole.Datasets;

/// <summary>
/// Every minute, starts the runs of datasets whose spec's <c>schedule</c> (a Quartz cron expression, in UTC) is due (see
/// <see cref="DatasetSchedules"/>). The specs are read at each firing, so an edited schedule needs no re-sync; one firing
/// at a time across the cluster, and the runs themselves are one per dataset whichever node starts them.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class DatasetScheduleJob(DatasetSchedules schedules, ILogger<DatasetScheduleJob> logger) : IJob
{
    public static readonly JobKey Key = new("dataset-schedules", "export");
    public static readonly TriggerKey TriggerKey = new("dataset-schedules.interval", "export");

    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        foreach (var start in await schedules.StartDueAsync(NextFiring, DateTimeOffset.UtcNow, cancellationToken))
        {
            if (start.RunId is { } runId)
            {
                logger.LogInformation("Started scheduled run {RunId} of dataset {Dataset}", runId, start.Dataset);
            }
            else
            {
                logger.LogWarning("Scheduled run of dataset {Dataset} did not start: {Reason}", start.Dataset, start.NotStarted);
            }
        }
    }

    /// <summary>The cron expression's first firing after the time, in UTC; null when it is not a valid Quartz cron expression.</summary>
    internal static DateTimeOffset? NextFiring(string schedule, DateTimeOffset after)
    {
        return CronExpression.TryParse(schedule, out _) ? new CronExpression(schedule, TimeZoneInfo.Utc).GetNextValidTimeAfter(after) : null;
    }
}

internal static class DatasetScheduling
{
    public static IQuartzBuilder AddDatasetSchedules(this IQuartzBuilder quartz)
    {
        quartz.AddJob<DatasetScheduleJob>(job => job.WithIdentity(DatasetScheduleJob.Key));
        quartz.AddTrigger(trigger => trigger.ForJob(DatasetScheduleJob.Key).WithIdentity(DatasetScheduleJob.TriggerKey)
            .WithSimpleSchedule(s => s.WithInterval(DatasetScheduleJob.Interval).RepeatForever())
            .StartAt(DateTimeOffset.UtcNow + DatasetScheduleJob.Interval));
        return quartz;
    }
}
