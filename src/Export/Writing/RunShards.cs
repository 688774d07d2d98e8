using System.Runtime.CompilerServices;
using System.Text.Json;
using AiSocial.Export.Parquet;
using Npgsql;

namespace AiSocial.Export.Writing;

/// <summary>
/// A planned shard: the rows of its split numbered <see cref="FirstRow"/>..<see cref="LastRow"/> (by <c>seq</c>, which
/// has gaps: the other splits' rows and the copies taken out), its final <see cref="Path"/>, and the <see cref="Range"/>
/// (the job) that writes it. A shard with no rows has LastRow &lt; FirstRow.
/// </summary>
internal sealed record PlannedShard(string Split, int Index, int OfCount, int Range, long FirstRow, long LastRow, string Path);

/// <summary>
/// Cuts one split's rows, in order, into row groups and shards the way <see cref="SplitShardWriter"/> would, from each
/// row's estimated size (its media file's recorded size plus its text): a row group is full at <c>rowGroupBytes</c>, a
/// shard closes before a group would take it past <c>shardBytes</c>. So every shard's rows, and its name
/// <c>{split}-{i}-of-{n}</c>, are known before any image is read.
/// </summary>
internal sealed class ShardPlanner(string split, long rowGroupBytes, long shardBytes)
{
    private readonly List<(long First, long Last)> _shards = [];
    private long? _groupFirst;
    private long _last;
    private long _groupBytes;
    private long _shardBytes;

    public string Split => split;

    /// <summary>Takes the split's next row: its number (greater than the last one's) and estimated size.</summary>
    public void Add(long seq, long estimatedBytes)
    {
        _groupFirst ??= seq;
        _last = seq;
        _groupBytes += estimatedBytes;
        if (_groupBytes >= rowGroupBytes)
        {
            FlushGroup();
        }
    }

    /// <summary>The split's shards; an empty split that must exist gets one shard with no rows.</summary>
    public IReadOnlyList<(long First, long Last)> Complete(bool keepEmpty)
    {
        FlushGroup();
        if (_shards.Count == 0 && keepEmpty)
        {
            _shards.Add((0, -1));
        }

        return _shards;
    }

    private void FlushGroup()
    {
        if (_groupFirst is not { } first)
        {
            return;
        }

        if (_shards.Count == 0 || _shardBytes > 0 && _shardBytes + _groupBytes > shardBytes)
        {
            _shards.Add((first, _last));
            _shardBytes = 0;
        }

        _shards[^1] = (_shards[^1].First, _last);
        _shardBytes += _groupBytes;
        _groupFirst = null;
        _groupBytes = 0;
    }
}

/// <summary>What writing a range's last shard said about the run.</summary>
internal sealed record RangeCompletion(bool Running, bool CancelRequested, bool Last, long RowsWritten, long BytesWritten);

/// <summary>The plan of a run's shards in <c>export.run_shards</c>, and the staged rows each shard is written from.</summary>
internal static class RunShards
{
    public static async Task InsertAsync(NpgsqlDataSource dataSource, Guid runId, IReadOnlyList<PlannedShard> shards, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var copy = await connection.BeginBinaryImportAsync(
            "copy export.run_shards (run_id, split, shard_index, of_count, range_index, first_row, last_row, path) from stdin (format binary)",
            cancellationToken);
        foreach (var shard in shards)
        {
            await copy.WriteRowAsync(cancellationToken, runId, shard.Split, shard.Index, shard.OfCount, shard.Range, shard.FirstRow, shard.LastRow, shard.Path);
        }

        await copy.CompleteAsync(cancellationToken);
    }

    /// <summary>The shards of one range, in split and shard order.</summary>
    public static async Task<IReadOnlyList<PlannedShard>> RangeAsync(NpgsqlDataSource dataSource, Guid runId, int range, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select split, shard_index, of_count, range_index, first_row, last_row, path from export.run_shards
            where run_id = $1 and range_index = $2
            order by array_position(array['train', 'validation', 'test'], split), shard_index
            """);
        command.Parameters.Add(new() { Value = runId });
        command.Parameters.Add(new() { Value = range });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var shards = new List<PlannedShard>();
        while (await reader.ReadAsync(cancellationToken))
        {
            shards.Add(new PlannedShard(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt64(4),
                reader.GetInt64(5), reader.GetString(6)));
        }

        return shards;
    }

    /// <summary>A shard's staged rows in order, each with its media file's SHA-256 and no image yet; streamed, not held.</summary>
    public static async IAsyncEnumerable<(string MediaSha256, DatasetRow Row)> RowsAsync(NpgsqlDataSource dataSource, Guid runId, PlannedShard shard,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "select media_sha256, row_data from export.run_rows where run_id = $1 and split = $2 and seq between $3 and $4 order by seq", connection);
        command.Parameters.Add(new() { Value = runId });
        command.Parameters.Add(new() { Value = shard.Split });
        command.Parameters.Add(new() { Value = shard.FirstRow });
        command.Parameters.Add(new() { Value = shard.LastRow });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (reader.GetString(0), JsonSerializer.Deserialize(reader.GetFieldValue<byte[]>(1), StagedRowJson.Default.DatasetRow)!);
        }
    }

    /// <summary>
    /// Records a range's written shards and says whether they were the run's last, deciding it under a lock on the run's
    /// row so that exactly one range, on whichever node, is last. A range written twice (a job recovered after its node
    /// died) counts once: only shards still planned become written, and a range that changed none is never last.
    /// </summary>
    public static async Task<RangeCompletion> CompleteAsync(NpgsqlDataSource dataSource, Guid runId, IReadOnlyList<WrittenFile> files, long peakRssBytes,
        string node, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        bool running, cancelRequested;
        await using (var command = new NpgsqlCommand("select status = 'running', cancel_requested from export.runs where id = $1 for update", connection))
        {
            command.Parameters.Add(new() { Value = runId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new RangeCompletion(false, false, false, 0, 0);
            }

            (running, cancelRequested) = (reader.GetBoolean(0), reader.GetBoolean(1));
        }

        if (!running || cancelRequested)
        {
            return new RangeCompletion(running, cancelRequested, false, 0, 0);
        }

        var changed = 0;
        foreach (var file in files)
        {
            await using var command = new NpgsqlCommand(
                """
                update export.run_shards set state = 'written', node = $3, rows = $4, bytes = $5, sha256 = $6, written_at = now()
                where run_id = $1 and path = $2 and state = 'planned'
                """, connection);
            command.Parameters.Add(new() { Value = runId });
            command.Parameters.Add(new() { Value = file.Path });
            command.Parameters.Add(new() { Value = node });
            command.Parameters.Add(new() { Value = file.Rows });
            command.Parameters.Add(new() { Value = file.Bytes });
            command.Parameters.Add(new() { Value = file.Sha256 });
            changed += await command.ExecuteNonQueryAsync(cancellationToken);
        }

        long planned, rows, bytes;
        await using (var command = new NpgsqlCommand(
            """
            select count(*) filter (where state = 'planned'), coalesce(sum(rows), 0)::bigint, coalesce(sum(bytes), 0)::bigint
            from export.run_shards where run_id = $1
            """, connection))
        {
            command.Parameters.Add(new() { Value = runId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (planned, rows, bytes) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        await using (var command = new NpgsqlCommand(
            """
            update export.runs set rows_written = $2, bytes_written = $3, heartbeat_at = now(),
                peak_rss_bytes = greatest(coalesce(peak_rss_bytes, 0), $4),
                shard_nodes = case when $5 = any(shard_nodes) then shard_nodes else array_append(shard_nodes, $5) end
            where id = $1
            """, connection))
        {
            command.Parameters.Add(new() { Value = runId });
            command.Parameters.Add(new() { Value = rows });
            command.Parameters.Add(new() { Value = bytes });
            command.Parameters.Add(new() { Value = peakRssBytes });
            command.Parameters.Add(new() { Value = node });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new RangeCompletion(true, false, changed > 0 && planned == 0, rows, bytes);
    }

    /// <summary>Every written shard of the run, split by split (train, validation, test) in shard order.</summary>
    public static async Task<IReadOnlyList<WrittenFile>> FilesAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select path, split, rows, bytes, sha256 from export.run_shards where run_id = $1 and state = 'written'
            order by array_position(array['train', 'validation', 'test'], split), shard_index
            """);
        command.Parameters.Add(new() { Value = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var files = new List<WrittenFile>();
        while (await reader.ReadAsync(cancellationToken))
        {
            files.Add(new WrittenFile(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetString(4)));
        }

        return files;
    }

    /// <summary>This process, as the plan records who wrote a shard when no scheduler names the node.</summary>
    public static string Node { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";
}
