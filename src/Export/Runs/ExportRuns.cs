using AiSocial.Ingest.Database;
using Npgsql;

namespace AiSocial.Export.Runs;

/// <summary>Where a run is: running until it is published whole (succeeded) or left nothing behind (failed, or cancelled on request).</summary>
public enum ExportRunStatus
{
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

public sealed record ExportRunSummary(Guid RunId, string Dataset, ExportRunStatus Status, string RequestedBy, DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt, string Output, long? RowsIncluded, string? Error);

/// <summary>The history of export runs.</summary>
public sealed class ExportRuns(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<ExportRunSummary>> RecentAsync(string? dataset, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select r.id, d.name, r.status, r.requested_by, r.started_at, r.finished_at, r.output,
                   (r.manifest ->> 'rowsIncluded')::bigint, r.error
            from export.runs r join export.datasets d on d.id = r.dataset_id
            where $1::text is null or d.name = $1
            order by r.started_at desc limit $2
            """);
        command.Parameters.Add(new() { Value = (object?)dataset ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = Math.Clamp(limit, 1, 1000) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var runs = new List<ExportRunSummary>();
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new ExportRunSummary(reader.GetGuid(0), reader.GetString(1), DatabaseNames.Parse<ExportRunStatus>(reader.GetString(2)), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        return runs;
    }
}
