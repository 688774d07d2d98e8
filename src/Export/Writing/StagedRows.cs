using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using AiSocial.Export.Parquet;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Export.Writing;

/// <summary>How a staged row's data is written and read back: the web's camelCase JSON, source-generated.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DatasetRow))]
internal sealed partial class StagedRowJson : JsonSerializerContext;

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
/// The rows a run will write, streamed into <c>export.run_rows</c> by binary COPY on a connection of their own as the
/// snapshot is read: each with its place in order (<c>seq</c>, its post's position among the eligible posts, so a split's
/// rows are in order with gaps), its estimated size, its media file and everything else it holds as JSON, so any node can
/// write its shard later without the snapshot. A row's shard is the planned shard of its split whose seq range holds it.
/// </summary>
internal sealed class StagedRows : RunStagingCopy
{
    public static Task<StagedRows> OpenAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken) =>
        StartAsync(new StagedRows(), dataSource, runId,
            "copy export.run_rows (run_id, row_key, post_id, split, seq, bytes, media_sha256, row_data) from stdin (format binary)", cancellationToken);

    /// <summary>A row without its image (<see cref="DatasetRow.ImageBytes"/> empty), read back by <see cref="RunShards.RowsAsync"/>.</summary>
    public async Task AddAsync(DatasetRow row, string split, long seq, long bytes, string mediaSha256, CancellationToken cancellationToken)
    {
        await StartRowAsync(cancellationToken);
        await Copy.WriteAsync(row.RowKey, NpgsqlDbType.Text, cancellationToken);
        await Copy.WriteAsync(row.PostId, NpgsqlDbType.Uuid, cancellationToken);
        await Copy.WriteAsync(split, NpgsqlDbType.Text, cancellationToken);
        await Copy.WriteAsync(seq, NpgsqlDbType.Bigint, cancellationToken);
        await Copy.WriteAsync(bytes, NpgsqlDbType.Bigint, cancellationToken);
        await Copy.WriteAsync(mediaSha256, NpgsqlDbType.Text, cancellationToken);
        await Copy.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(row, StagedRowJson.Default.DatasetRow), NpgsqlDbType.Bytea, cancellationToken);
    }

    /// <summary>
    /// Takes the rows of the run's recorded copies (<c>export.run_duplicates</c>) out of its staged rows, after the COPY
    /// ended. Returns how many there were, and what scrubbing had replaced in their text.
    /// </summary>
    public static async Task<(int Rows, ScrubCounts Scrubbed)> RemoveDuplicatesAsync(NpgsqlConnection connection, Guid runId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            delete from export.run_rows r using export.run_duplicates d
            where r.run_id = $1 and d.run_id = $1 and r.post_id = d.post_id
            returning r.row_data
            """, connection);
        command.Parameters.Add(new() { Value = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var (rows, scrubbed) = (0, default(ScrubCounts));
        while (await reader.ReadAsync(cancellationToken))
        {
            rows++;
            scrubbed += JsonSerializer.Deserialize(reader.GetFieldValue<byte[]>(0), StagedRowJson.Default.DatasetRow)!.Scrubbed ?? default;
        }

        return (rows, scrubbed);
    }

    /// <summary>A split's staged rows in order, each as its number and estimated size: what its shards are cut from.</summary>
    public static async IAsyncEnumerable<(long Seq, long Bytes)> SizesAsync(NpgsqlDataSource dataSource, Guid runId, string split,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select seq, bytes from export.run_rows where run_id = $1 and split = $2 order by seq");
        command.Parameters.Add(new() { Value = runId });
        command.Parameters.Add(new() { Value = split });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (reader.GetInt64(0), reader.GetInt64(1));
        }
    }

}

/// <summary>The revocations a run found, streamed into <c>export.run_revocations</c> by binary COPY on a connection of their own.</summary>
internal sealed class StagedRevocations : RunStagingCopy
{
    public static Task<StagedRevocations> OpenAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken) =>
        StartAsync(new StagedRevocations(), dataSource, runId,
            "copy export.run_revocations (run_id, row_key, post_id, shard, reason) from stdin (format binary)", cancellationToken);

    public async Task AddAsync(PublishedRow row, string reason, CancellationToken cancellationToken)
    {
        await StartRowAsync(cancellationToken);
        await Copy.WriteAsync(row.RowKey, NpgsqlDbType.Text, cancellationToken);
        await Copy.WriteAsync(row.PostId, NpgsqlDbType.Uuid, cancellationToken);
        await Copy.WriteAsync(row.Shard, NpgsqlDbType.Text, cancellationToken);
        await Copy.WriteAsync(reason, NpgsqlDbType.Text, cancellationToken);
    }
}

/// <summary>
/// A binary COPY into one of a run's staging tables (<c>export.run_*</c>), on a connection of its own so that it streams
/// while the snapshot is read on another; every row starts with the run's id.
/// </summary>
internal abstract class RunStagingCopy : IAsyncDisposable
{
    private NpgsqlConnection? _connection;
    private NpgsqlBinaryImporter? _copy;
    private Guid _runId;

    protected NpgsqlBinaryImporter Copy => _copy ?? throw new InvalidOperationException("The COPY has not started.");

    protected static async Task<T> StartAsync<T>(T staging, NpgsqlDataSource dataSource, Guid runId, string copyCommand, CancellationToken cancellationToken)
        where T : RunStagingCopy
    {
        staging._runId = runId;
        staging._connection = await dataSource.OpenConnectionAsync(cancellationToken);
        staging._copy = await staging._connection.BeginBinaryImportAsync(copyCommand, cancellationToken);
        return staging;
    }

    /// <summary>Starts a row and writes the run's id, its first column.</summary>
    protected async Task StartRowAsync(CancellationToken cancellationToken)
    {
        await Copy.StartRowAsync(cancellationToken);
        await Copy.WriteAsync(_runId, NpgsqlDbType.Uuid, cancellationToken);
    }

    /// <summary>Ends the COPY: every row is staged.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await Copy.CompleteAsync(cancellationToken);
        await Copy.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_copy is not null)
        {
            await _copy.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
