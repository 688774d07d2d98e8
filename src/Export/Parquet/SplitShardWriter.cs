using global::Parquet;

namespace AiSocial.Export.Parquet;

/// <summary>
/// Writes one split's rows as Parquet shards named as Hugging Face expects (<c>data/{split}-{i:05d}-of-{n:05d}.parquet</c>).
/// Rows are held only until a row group of about <see cref="RowGroupBytes"/> is full; a shard closes before it would
/// pass <see cref="ShardBytes"/>. Shards are written under temporary names (the count is known only at the end) through
/// a <see cref="HashingStream"/>, so size and SHA-256 come from the writing itself.
/// </summary>
internal sealed class SplitShardWriter(string stagingDirectory, string split, DatasetColumns columns) : IAsyncDisposable
{
    public long RowGroupBytes { get; init; } = 100L * 1024 * 1024;

    public long ShardBytes { get; init; } = 500L * 1024 * 1024;

    /// <summary>Called after each row group is written, with the shard's temporary name (<see cref="TemporaryShardName"/>) and its rows.</summary>
    public Func<string, IReadOnlyList<DatasetRow>, CancellationToken, Task>? RowGroupWritten { get; init; }

    public string Split => split;

    /// <summary>Whether no row has reached this split (nothing buffered, no shard open or closed).</summary>
    public bool IsEmpty => _buffer.Count == 0 && _shards.Count == 0 && _writer is null;

    public long BytesWritten => _closedBytes + (_hashing?.Length ?? 0);

    private readonly List<DatasetRow> _buffer = [];
    private readonly List<(string TemporaryPath, long Rows, long Bytes, string Sha256)> _shards = [];
    private long _bufferedBytes;
    private long _closedBytes;
    private FileStream? _file;
    private HashingStream? _hashing;
    private ParquetWriter? _writer;
    private ParquetOptions? _options;
    private long _shardRows;

    /// <summary>The name rows of shard <paramref name="index"/> carry until <see cref="CompleteAsync"/> names it.</summary>
    public static string TemporaryShardName(string split, int index) => $"{split}#{index}";

    public async Task AddAsync(DatasetRow row, CancellationToken cancellationToken)
    {
        _buffer.Add(row);
        _bufferedBytes += row.ApproximateBytes;
        if (_bufferedBytes >= RowGroupBytes)
        {
            await FlushRowGroupAsync(cancellationToken);
        }
    }

    /// <summary>Closes the last shard and names every shard with the final count. A split with no rows has no shard.</summary>
    public async Task<IReadOnlyList<(string TemporaryName, ShardFile File)>> CompleteAsync(CancellationToken cancellationToken)
    {
        await FlushRowGroupAsync(cancellationToken);
        await CloseShardAsync();
        var files = new List<(string, ShardFile)>();
        for (var i = 0; i < _shards.Count; i++)
        {
            var relative = $"data/{split}-{i:D5}-of-{_shards.Count:D5}.parquet";
            File.Move(_shards[i].TemporaryPath, Path.Combine(stagingDirectory, relative));
            files.Add((TemporaryShardName(split, i), new ShardFile(relative, _shards[i].Rows, _shards[i].Bytes, _shards[i].Sha256)));
        }

        return files;
    }

    /// <summary>A valid shard with the schema and no rows, for a split the spec declares that no row reached.</summary>
    public async Task WriteEmptyShardAsync(CancellationToken cancellationToken)
    {
        await OpenShardAsync(cancellationToken);
        await CloseShardAsync();
    }

    private async Task FlushRowGroupAsync(CancellationToken cancellationToken)
    {
        if (_buffer.Count == 0)
        {
            return;
        }

        if (_hashing is not null && _hashing.Length + _bufferedBytes > ShardBytes)
        {
            await CloseShardAsync();
        }

        if (_writer is null)
        {
            await OpenShardAsync(cancellationToken);
        }

        using (var group = _writer!.CreateRowGroup())
        {
            await columns.WriteAsync(group, _options!, _buffer, cancellationToken);
        }

        if (RowGroupWritten is { } written)
        {
            await written(TemporaryShardName(split, _shards.Count - 1), _buffer, cancellationToken);
        }

        _shardRows += _buffer.Count;
        _buffer.Clear();
        _bufferedBytes = 0;
        // The group's images and column buffers are large-object garbage now; collecting it here keeps the heap at about
        // one row group per split instead of letting it grow until the GC's own budget runs out.
        GC.Collect(2, GCCollectionMode.Forced, blocking: false);
    }

    private async Task OpenShardAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(stagingDirectory, "data", $".{split}-{_shards.Count:D5}.parquet.partial");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
        _hashing = new HashingStream(_file);
        // Parquet.Net 6.0–6.1 maps the default level to Zstd level 19 (~3 MiB/s); Optimal is about 100 times faster.
        _options = new ParquetOptions { CompressionMethod = CompressionMethod.Zstd, CompressionLevel = System.IO.Compression.CompressionLevel.Optimal };
        _writer = await ParquetWriter.CreateAsync(columns.Schema, _hashing, _options, cancellationToken: cancellationToken);
        _writer.CustomMetadata = new Dictionary<string, string> { ["huggingface"] = columns.HuggingFace };
        _shards.Add((path, 0, 0, ""));
        _shardRows = 0;
    }

    private async Task CloseShardAsync()
    {
        if (_writer is null)
        {
            return;
        }

        await _writer.DisposeAsync();
        await _hashing!.FlushAsync();
        _file!.Flush(flushToDisk: true);
        _shards[^1] = (_shards[^1].TemporaryPath, _shardRows, _hashing.Length, _hashing.Sha256());
        _closedBytes += _hashing.Length;
        await _hashing.DisposeAsync();
        await _file.DisposeAsync();
        _writer = null;
        _hashing = null;
        _file = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        if (_hashing is not null)
        {
            await _hashing.DisposeAsync();
        }

        if (_file is not null)
        {
            await _file.DisposeAsync();
        }
    }
}
