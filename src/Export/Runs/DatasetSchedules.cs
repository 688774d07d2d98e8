using AiSocial.Ingest.Audit;
using Npgsql;

namespace AiSocial.Export.Runs;

/// <summary>A scheduled dataset that was due: the run it started, or why it could not start (it starts at the next check).</summary>
public sealed record ScheduledStart(string Dataset, Guid? RunId, string? NotStarted);

/// <summary>
/// Starts the runs of datasets whose <c>schedule</c> is due. The specs are read at every check, so an edited schedule
/// counts from the next check on, with nothing to re-sync. A dataset is due when its schedule's next firing after its
/// last scheduled start (or its last spec change, whichever is later) has passed; a start refused because a run is in
/// progress is tried again at the next check. Cron is evaluated by the caller (Quartz lives in the hosts).
/// </summary>
public sealed class DatasetSchedules(NpgsqlDataSource dataSource, ExportRunner runner)
{
    public static readonly Actor Scheduler = Actor.System("schedule");

    /// <summary>Starts every due dataset's run in the background; <paramref name="nextFiring"/> gives a schedule's first firing after a time, or null when it is not valid.</summary>
    public async Task<IReadOnlyList<ScheduledStart>> StartDueAsync(Func<string, DateTimeOffset, DateTimeOffset?> nextFiring, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var scheduled = new List<(string Name, string Schedule, DateTimeOffset Since)>();
        await using (var command = dataSource.CreateCommand(
            """
            select d.name, d.spec ->> 'schedule',
                   greatest(d.updated_at, (select max(r.started_at) from export.runs r where r.dataset_id = d.id and r.requested_by = $1))
            from export.datasets d
            where jsonb_typeof(d.spec -> 'schedule') = 'string'
            order by d.name
            """))
        {
            command.Parameters.Add(new() { Value = Scheduler.Name });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                scheduled.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
            }
        }

        var starts = new List<ScheduledStart>();
        foreach (var (name, schedule, since) in scheduled)
        {
            var next = nextFiring(schedule, since);
            if (next is null)
            {
                starts.Add(new ScheduledStart(name, null, $"the schedule '{schedule}' is not a valid Quartz cron expression"));
            }
            else if (next <= now)
            {
                var started = await runner.StartAsync(name, Scheduler, ExportRunKind.Full, cancellationToken);
                starts.Add(started.Refusal is { } refusal ? new ScheduledStart(name, null, refusal.Detail) : new ScheduledStart(name, started.Value, null));
            }
        }

        return starts;
    }
}
