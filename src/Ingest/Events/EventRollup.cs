using Microsoft.Extensions.Options;
using Npgsql;

namespace AiSocial.Ingest.Events;

/// <summary>What one rollup counted: events read past the watermark, and the watermark it ends at.</summary>
public sealed record RollupResult(long EventsCounted, long Watermark);

/// <summary>
/// Adds new events to <c>ingest.post_counters</c> (views, shares, clicks, dwell count and total), exactly once. The
/// watermark is the highest event id counted; each step counts the ids above it and moves it in the same transaction
/// as the counters, so a crash at any point leaves both as they were and the next run redoes the step.
/// <para>
/// Ids are handed out when a row is written but become visible at commit, so a later id can be seen before an earlier
/// one. Before each step the rollup therefore waits, under a brief SHARE lock, for every writer transaction in flight
/// to end: after that no id at or below the sequence's last value can still appear. Events for posts that do not
/// exist are passed over (the counters join posts).
/// </para>
/// </summary>
public sealed class EventRollup(NpgsqlDataSource dataSource, IOptions<EventOptions> options)
{
    public const string Name = "post_counters";

    /// <summary>Counts everything committed before it started, in steps of at most <see cref="EventOptions.MaxEventsPerRollup"/>.</summary>
    public async Task<RollupResult> RunAsync(CancellationToken cancellationToken)
    {
        var settled = await SettledIdAsync(cancellationToken);
        long counted = 0;
        while (true)
        {
            var (events, watermark, done) = await StepAsync(settled, cancellationToken);
            counted += events;
            if (done)
            {
                return new RollupResult(counted, watermark);
            }
        }
    }

    /// <summary>The highest id below which no event can still be committed.</summary>
    private async Task<long> SettledIdAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            lock table ingest.events in share mode;
            select coalesce(pg_sequence_last_value('ingest.events_id_seq'), 0);
            """, connection);
        var settled = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return settled;
    }

    private async Task<(long Events, long Watermark, bool Done)> StepAsync(long settled, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long from;
        await using (var command = new NpgsqlCommand("select last_event_id from ingest.event_rollup where name = $1 for update", connection))
        {
            command.Parameters.Add(new() { Value = Name });
            from = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        var to = Math.Min(settled, from + options.Value.MaxEventsPerRollup);
        if (to <= from)
        {
            return (0, from, true);
        }

        long events;
        await using (var command = new NpgsqlCommand(
            """
            with counted as (
                select post_id,
                       count(*) filter (where type = 1) as views,
                       count(*) filter (where type = 2) as dwells,
                       coalesce(sum(ms) filter (where type = 2), 0) as dwell_ms,
                       count(*) filter (where type = 3) as shares,
                       count(*) filter (where type = 4) as clicks
                from ingest.events
                where id > $1 and id <= $2
                group by post_id
            ), applied as (
                insert into ingest.post_counters as c (post_id, view_count, dwell_count, dwell_ms_sum, share_count, click_count)
                select counted.post_id, views, dwells, dwell_ms, shares, clicks
                from counted join ingest.posts p on p.id = counted.post_id
                on conflict (post_id) do update set
                    view_count = c.view_count + excluded.view_count,
                    dwell_count = c.dwell_count + excluded.dwell_count,
                    dwell_ms_sum = c.dwell_ms_sum + excluded.dwell_ms_sum,
                    share_count = c.share_count + excluded.share_count,
                    click_count = c.click_count + excluded.click_count
                returning 1
            )
            select coalesce(sum(views + dwells + shares + clicks), 0)::bigint from counted
            """, connection))
        {
            command.Parameters.Add(new() { Value = from });
            command.Parameters.Add(new() { Value = to });
            events = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        await using (var command = new NpgsqlCommand("update ingest.event_rollup set last_event_id = $2, updated_at = now() where name = $1", connection))
        {
            command.Parameters.Add(new() { Value = Name });
            command.Parameters.Add(new() { Value = to });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (events, to, to >= settled);
    }
}
