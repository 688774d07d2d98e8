using AiSocial.Export.Parquet;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Export.Writing;

/// <summary>A row an earlier run published and nobody has revoked (<c>export.published_rows</c>).</summary>
internal sealed record PublishedRow(string RowKey, Guid PostId, string Shard);

/// <summary>
/// The dataset's unrevoked published rows in post-id order, read through a cursor on the snapshot's connection in step
/// with the candidates (a merge join): only the rows between two candidates are ever held.
/// </summary>
internal sealed class PublishedRows : IAsyncDisposable
{
    private readonly IAsyncEnumerator<PublishedRow>? _rows;
    private PublishedRow? _head;
    private bool _started;

    public PublishedRows(NpgsqlConnection snapshot, Guid? datasetId, CancellationToken cancellationToken)
    {
        if (datasetId is { } id)
        {
            // PostgreSQL orders uuids by their bytes, as Guid.CompareTo orders them, so both sides agree on the order.
            _rows = DatasetCandidates.CursorAsync(snapshot, "published",
                $"select row_key, post_id, shard from export.published_rows where dataset_id = '{id}' and revoked_at is null order by post_id, row_key",
                1024, reader => new PublishedRow(reader.GetString(0), reader.GetGuid(1), reader.GetString(2)), cancellationToken)
                .GetAsyncEnumerator(cancellationToken);
        }
    }

    /// <summary>The next published row whose post comes before <paramref name="post"/> (null: any left), taking it.</summary>
    public async Task<PublishedRow?> NextBeforeAsync(Guid? post)
    {
        var head = await PeekAsync();
        return head is not null && (post is null || head.PostId.CompareTo(post.Value) < 0) ? Take() : null;
    }

    /// <summary>The published row of <paramref name="post"/>, taken, if there is one.</summary>
    public async Task<PublishedRow?> TakeAsync(Guid post) => (await PeekAsync())?.PostId == post ? Take() : null;

    private async Task<PublishedRow?> PeekAsync()
    {
        if (!_started && _rows is not null)
        {
            _started = true;
            _head = await _rows.MoveNextAsync() ? _rows.Current : null;
        }

        return _head;
    }

    private PublishedRow? Take()
    {
        var head = _head;
        _started = false;
        _head = null;
        return head;
    }

    public async ValueTask DisposeAsync()
    {
        if (_rows is not null)
        {
            await _rows.DisposeAsync();
        }
    }
}

/// <summary>
/// The rows a run wrote, streamed into <c>export.run_rows</c> by binary COPY on a connection of their own as each row
/// group is written; the shard is its temporary name until <see cref="CompleteAsync"/> knows the final one.
/// </summary>
internal sealed class StagedRows : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlBinaryImporter _copy;
    private readonly Guid _runId;
    private readonly SemaphoreSlim _lock = new(1, 1);

    private StagedRows(NpgsqlConnection connection, NpgsqlBinaryImporter copy, Guid runId)
    {
        _connection = connection;
        _copy = copy;
        _runId = runId;
    }

    public static async Task<StagedRows> OpenAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var copy = await connection.BeginBinaryImportAsync(
            "copy export.run_rows (run_id, row_key, post_id, split, shard) from stdin (format binary)", cancellationToken);
        return new StagedRows(connection, copy, runId);
    }

    /// <summary>Rows of one row group; the split writers call this from their own tasks, one at a time.</summary>
    public async Task AddAsync(string shard, IReadOnlyList<DatasetRow> rows, CancellationToken cancellationToken)
    {
        var split = shard[..shard.IndexOf('#')];
        await _lock.WaitAsync(cancellationToken);
        try
        {
            foreach (var row in rows)
            {
                await _copy.StartRowAsync(cancellationToken);
                await _copy.WriteAsync(_runId, NpgsqlDbType.Uuid, cancellationToken);
                await _copy.WriteAsync(row.RowKey, NpgsqlDbType.Text, cancellationToken);
                await _copy.WriteAsync(row.PostId, NpgsqlDbType.Uuid, cancellationToken);
                await _copy.WriteAsync(split, NpgsqlDbType.Text, cancellationToken);
                await _copy.WriteAsync(shard, NpgsqlDbType.Text, cancellationToken);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Ends the COPY and gives each staged row its shard's final name.</summary>
    public async Task CompleteAsync(IReadOnlyDictionary<string, string> shardNames, CancellationToken cancellationToken)
    {
        await _copy.CompleteAsync(cancellationToken);
        await _copy.DisposeAsync();
        foreach (var (temporary, final) in shardNames)
        {
            await using var command = new NpgsqlCommand("update export.run_rows set shard = $3 where run_id = $1 and shard = $2", _connection);
            command.Parameters.Add(new() { Value = _runId });
            command.Parameters.Add(new() { Value = temporary });
            command.Parameters.Add(new() { Value = final });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _copy.DisposeAsync();
        await _connection.DisposeAsync();
        _lock.Dispose();
    }
}

/// <summary>The revocations a run found, streamed into <c>export.run_revocations</c> by binary COPY on a connection of their own.</summary>
internal sealed class StagedRevocations : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlBinaryImporter _copy;
    private readonly Guid _runId;

    private StagedRevocations(NpgsqlConnection connection, NpgsqlBinaryImporter copy, Guid runId)
    {
        _connection = connection;
        _copy = copy;
        _runId = runId;
    }

    public static async Task<StagedRevocations> OpenAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var copy = await connection.BeginBinaryImportAsync(
            "copy export.run_revocations (run_id, row_key, post_id, shard, reason) from stdin (format binary)", cancellationToken);
        return new StagedRevocations(connection, copy, runId);
    }

    public async Task AddAsync(PublishedRow row, string reason, CancellationToken cancellationToken)
    {
        await _copy.StartRowAsync(cancellationToken);
        await _copy.WriteAsync(_runId, NpgsqlDbType.Uuid, cancellationToken);
        await _copy.WriteAsync(row.RowKey, NpgsqlDbType.Text, cancellationToken);
        await _copy.WriteAsync(row.PostId, NpgsqlDbType.Uuid, cancellationToken);
        await _copy.WriteAsync(row.Shard, NpgsqlDbType.Text, cancellationToken);
        await _copy.WriteAsync(reason, NpgsqlDbType.Text, cancellationToken);
    }

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await _copy.CompleteAsync(cancellationToken);
        await _copy.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _copy.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
