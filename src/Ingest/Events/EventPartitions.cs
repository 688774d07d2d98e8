using Microsoft.Extensions.Options;
using Npgsql;

namespace AiSocial.Ingest.Events;

/// <summary>
/// Keeps a daily partition of <c>ingest.events</c> ready from yesterday to <see cref="EventOptions.PartitionDaysAhead"/>
/// days ahead (UTC), so the writer never meets a day without one. Run at start-up, by the writer when the day turns,
/// and by a scheduled job; creating what exists is a no-op.
/// </summary>
public sealed class EventPartitions(NpgsqlDataSource dataSource, IOptions<EventOptions> options, TimeProvider time)
{
    /// <summary>Creates the missing partitions; returns how many it created.</summary>
    public async Task<int> EnsureAsync(CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        await using var command = dataSource.CreateCommand("select ingest.ensure_event_partitions($1, $2)");
        command.Parameters.Add(new() { Value = today.AddDays(-1) });
        command.Parameters.Add(new() { Value = today.AddDays(options.Value.PartitionDaysAhead) });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The UTC days that have a partition, in order.</summary>
    public async Task<IReadOnlyList<DateOnly>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select to_date(substring(c.relname from 8), 'YYYYMMDD')
            from pg_inherits i
            join pg_class c on c.oid = i.inhrelid
            where i.inhparent = 'ingest.events'::regclass
            order by 1
            """);
        var days = new List<DateOnly>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            days.Add(reader.GetFieldValue<DateOnly>(0));
        }

        return days;
    }
}
