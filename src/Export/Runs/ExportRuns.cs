using System.Globalization;
using System.Text;
using AiSocial.Ingest;
using AiSocial.Ingest.Database;
using AiSocial.Problems;
using Npgsql;
using NpgsqlTypes;

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

/// <summary>A dataset as ML engineers browse them: its spec's version and its newest run, if any.</summary>
public sealed record DatasetOverview(string Name, string Description, string Purpose, int SpecVersion, DateTimeOffset UpdatedAt,
    ExportRunDetail? LatestRun);

/// <summary>
/// One run as it is now: while running, its phase and counts (updated by the runner as it goes); once published, its
/// manifest (the JSON stored with the run, null until then).
/// </summary>
public sealed record ExportRunDetail(Guid RunId, string Dataset, ExportRunStatus Status, string Kind, string? Version, int? SpecVersion,
    string RequestedBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset? SnapshotAt, string? Phase, long RowsSeen,
    long RowsWritten, long RowsExcluded, long BytesWritten, long? PeakRssBytes, DateTimeOffset? HeartbeatAt, bool CancelRequested,
    string? Error, string Output, string? ManifestJson)
{
    /// <summary>The nodes that have written the run's shards (a scheduler's instance id, or machine:pid), in the order they first did.</summary>
    public IReadOnlyList<string> ShardNodes { get; init; } = [];
}

/// <summary>A row an earlier run of the dataset published that must now be deleted, and why.</summary>
public sealed record Revocation(string RowKey, Guid PostId, string Split, string Shard, string Reason, DateTimeOffset RevokedAt,
    Guid RevokedRunId, Guid PublishedRunId);

/// <summary>A page of revocations, oldest first; <see cref="Next"/> continues after it (null on the last page).</summary>
public sealed record RevocationPage(IReadOnlyList<Revocation> Items, string? Next);

/// <summary>
/// One cluster a run collapsed: the post whose row stands for it (its row key and split, from the run that published
/// it, which may be an earlier one) and the posts left out as its exact or near copies.
/// </summary>
public sealed record DuplicateCluster(Guid KeptPostId, string? RowKey, string? Split, IReadOnlyList<Guid> DuplicatePostIds);

/// <summary>A page of a run's clusters, by kept post id; <see cref="Next"/> continues after it (null on the last page).</summary>
public sealed record DuplicateClusterPage(IReadOnlyList<DuplicateCluster> Items, long Clusters, long Duplicates, string? Next);

/// <summary>The history of export runs, and what ML engineers read of them: progress, manifests, files, revocations.</summary>
public sealed class ExportRuns(NpgsqlDataSource dataSource)
{
    public const int MaxRevocationsPerPage = 10_000;

    public const int MaxDuplicateClustersPerPage = 1000;

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
        command.Parameters.Add(new() { Value = (object?)dataset ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
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

    private const string RunColumns =
        """
        r.id, d.name, r.status, r.kind, r.version, r.spec_version, r.requested_by, r.started_at, r.finished_at, r.snapshot_at, r.phase,
        r.rows_seen, r.rows_written, r.rows_excluded, r.bytes_written, r.peak_rss_bytes, r.heartbeat_at, r.cancel_requested, r.error,
        r.output, r.shard_nodes
        """;

    /// <summary>Every dataset by name, each with its newest run (without its manifest).</summary>
    public async Task<IReadOnlyList<DatasetOverview>> DatasetsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            select d.name, d.description, d.purpose, d.spec_version, d.updated_at, r.id is not null, {RunColumns}, null::text
            from export.datasets d
            left join lateral (select * from export.runs where dataset_id = d.id order by started_at desc, id desc limit 1) r on true
            order by d.name
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var datasets = new List<DatasetOverview>();
        while (await reader.ReadAsync(cancellationToken))
        {
            datasets.Add(new DatasetOverview(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5) ? ReadRun(reader, 6) : null));
        }

        return datasets;
    }

    /// <summary>The dataset's runs, newest first, without their manifests.</summary>
    public async Task<IReadOnlyList<ExportRunDetail>> RunsAsync(string dataset, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            select {RunColumns}, null::text from export.runs r join export.datasets d on d.id = r.dataset_id
            where d.name = $1 order by r.started_at desc, r.id desc limit $2
            """);
        command.Parameters.Add(new() { Value = dataset });
        command.Parameters.Add(new() { Value = Math.Clamp(limit, 1, 1000) });
        return await ReadRunsAsync(command, cancellationToken);
    }

    /// <summary>One run of the dataset with its manifest; null when the dataset has no such run.</summary>
    public async Task<ExportRunDetail?> FindRunAsync(string dataset, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            select {RunColumns}, r.manifest::text from export.runs r join export.datasets d on d.id = r.dataset_id
            where d.name = $1 and r.id = $2
            """);
        command.Parameters.Add(new() { Value = dataset });
        command.Parameters.Add(new() { Value = runId });
        return (await ReadRunsAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<bool> DatasetExistsAsync(string dataset, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select exists (select 1 from export.datasets where name = $1)");
        command.Parameters.Add(new() { Value = dataset });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The snapshot time of a run the dataset published: a later run's revocations are stamped with its own, so the rows
    /// revoked after this time are those that someone holding this run must still delete.
    /// </summary>
    public async Task<Outcome<DateTimeOffset>> PublishedSnapshotAsync(string dataset, Guid runId, CancellationToken cancellationToken) =>
        await FindRunAsync(dataset, runId, cancellationToken) switch
        {
            null => await RunNotFoundAsync(dataset, runId, cancellationToken),
            { Status: ExportRunStatus.Succeeded, SnapshotAt: { } at } => at,
            var run => Refusal.Invalid("since",
                $"Run {runId} of '{dataset}' did not publish ({run.Status.ToString().ToLowerInvariant()}): pass a run that did, or a time."),
        };

    /// <summary>
    /// Rows of the dataset revoked after <paramref name="since"/>, oldest revocation first, at most <paramref name="limit"/>
    /// from where <paramref name="cursor"/> (a previous page's <see cref="RevocationPage.Next"/>) left off.
    /// </summary>
    public async Task<Outcome<RevocationPage>> RevocationsAsync(string dataset, DateTimeOffset since, string? cursor, int limit,
        CancellationToken cancellationToken)
    {
        var after = (At: since, RowKey: "");
        if (cursor is not null)
        {
            if (ParseCursor(cursor) is not { } position)
            {
                return new Refusal(IngestProblems.InvalidCursor, "Pass the `nextCursor` of the previous page unchanged.");
            }

            after = position;
        }

        if (!await DatasetExistsAsync(dataset, cancellationToken))
        {
            return DatasetNotFound(dataset);
        }

        limit = Math.Clamp(limit, 1, MaxRevocationsPerPage);
        await using var command = dataSource.CreateCommand(
            """
            select p.row_key, p.post_id, p.split, p.shard, p.revoked_reason, p.revoked_at, p.revoked_run_id, p.run_id
            from export.published_rows p join export.datasets d on d.id = p.dataset_id
            where d.name = $1 and p.revoked_at is not null and p.revoked_at > $2 and (p.revoked_at, p.row_key) > ($3, $4)
            order by p.revoked_at, p.row_key
            limit $5
            """);
        command.Parameters.Add(new() { Value = dataset });
        command.Parameters.Add(new() { Value = since });
        command.Parameters.Add(new() { Value = after.At });
        command.Parameters.Add(new() { Value = after.RowKey });
        command.Parameters.Add(new() { Value = limit + 1 });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Revocation>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new Revocation(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetGuid(6), reader.GetGuid(7)));
        }

        if (items.Count <= limit)
        {
            return new RevocationPage(items, null);
        }

        items.RemoveAt(limit);
        var last = items[^1];
        return new RevocationPage(items, Cursor(last.RevokedAt, last.RowKey));
    }

    // PostgreSQL keeps microseconds: the cursor does too, so no row at the page's edge is skipped or repeated.
    private static string Cursor(DateTimeOffset at, string rowKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{at.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{rowKey}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (DateTimeOffset At, string RowKey)? ParseCursor(string cursor)
    {
        try
        {
            var base64 = cursor.Replace('-', '+').Replace('_', '/');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=')));
            var parts = text.Split('|', 2);
            return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                                     && ticks <= DateTimeOffset.MaxValue.UtcTicks
                ? (new DateTimeOffset(ticks, TimeSpan.Zero), parts[1])
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Why a run cannot be found: the dataset has no such run, or there is no such dataset.</summary>
    public async Task<Refusal> RunNotFoundAsync(string dataset, Guid runId, CancellationToken cancellationToken) =>
        await DatasetExistsAsync(dataset, cancellationToken)
            ? new Refusal(ExportProblems.RunNotFound, $"Dataset '{dataset}' has no run {runId}.")
            : DatasetNotFound(dataset);

    /// <summary>
    /// The clusters <paramref name="runId"/> collapsed, a page at a time in kept-post order, with the run's totals.
    /// A run that did not publish recorded none.
    /// </summary>
    public async Task<Outcome<DuplicateClusterPage>> DuplicatesAsync(string dataset, Guid runId, string? cursor, int limit,
        CancellationToken cancellationToken)
    {
        var after = Guid.Empty;
        if (cursor is not null && !Guid.TryParseExact(cursor, "N", out after))
        {
            return new Refusal(IngestProblems.InvalidCursor, "Pass the `nextCursor` of the previous page unchanged.");
        }

        await using (var exists = dataSource.CreateCommand(
            "select exists (select from export.runs r join export.datasets d on d.id = r.dataset_id where d.name = $1 and r.id = $2)"))
        {
            exists.Parameters.Add(new() { Value = dataset });
            exists.Parameters.Add(new() { Value = runId });
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                return await RunNotFoundAsync(dataset, runId, cancellationToken);
            }
        }

        limit = Math.Clamp(limit, 1, MaxDuplicateClustersPerPage);
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            select c.kept_post_id, p.row_key, p.split, c.post_ids
            from (select kept_post_id, array_agg(post_id order by post_id) post_ids
                  from export.run_duplicates where run_id = $1 and kept_post_id > $2
                  group by kept_post_id order by kept_post_id limit $3) c
            left join lateral (
                select pr.row_key, pr.split from export.published_rows pr join export.runs r on r.dataset_id = pr.dataset_id
                where r.id = $1 and pr.post_id = c.kept_post_id order by pr.published_at desc limit 1) p on true
            order by c.kept_post_id
            """)
        {
            Parameters = { new() { Value = runId }, new() { Value = after }, new() { Value = limit + 1 } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("select count(distinct kept_post_id), count(*) from export.run_duplicates where run_id = $1")
        {
            Parameters = { new() { Value = runId } },
        });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var items = new List<DuplicateCluster>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new DuplicateCluster(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetFieldValue<Guid[]>(3)));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (clusters, duplicates) = (reader.GetInt64(0), reader.GetInt64(1));
        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = items[^1].KeptPostId.ToString("N");
        }

        return new DuplicateClusterPage(items, clusters, duplicates, next);
    }

    public static Refusal DatasetNotFound(string dataset) => new(ExportProblems.DatasetNotFound, $"There is no dataset named '{dataset}'.");

    internal static Refusal FileNotFound(Guid runId, string path) =>
        new(ExportProblems.FileNotFound, $"Run {runId} has no file '{path}'; its manifest lists every file it has.");

    private static async Task<IReadOnlyList<ExportRunDetail>> ReadRunsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var runs = new List<ExportRunDetail>();
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(ReadRun(reader, 0));
        }

        return runs;
    }

    private static ExportRunDetail ReadRun(NpgsqlDataReader reader, int i)
    {
        DateTimeOffset? Time(int column) => reader.IsDBNull(column) ? null : reader.GetFieldValue<DateTimeOffset>(column);
        string? Text(int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
        return new ExportRunDetail(reader.GetGuid(i), reader.GetString(i + 1), DatabaseNames.Parse<ExportRunStatus>(reader.GetString(i + 2)),
            reader.GetString(i + 3), Text(i + 4), reader.IsDBNull(i + 5) ? null : reader.GetInt32(i + 5), reader.GetString(i + 6),
            reader.GetFieldValue<DateTimeOffset>(i + 7), Time(i + 8), Time(i + 9), Text(i + 10), reader.GetInt64(i + 11), reader.GetInt64(i + 12),
            reader.GetInt64(i + 13), reader.GetInt64(i + 14), reader.IsDBNull(i + 15) ? null : reader.GetInt64(i + 15), Time(i + 16),
            reader.GetBoolean(i + 17), Text(i + 18), reader.GetString(i + 19), Text(i + 21))
        {
            ShardNodes = reader.GetFieldValue<string[]>(i + 20),
        };
    }
}
