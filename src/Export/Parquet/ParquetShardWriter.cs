using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using global::Parquet;
using global::Parquet.Schema;

namespace AiSocial.Export.Parquet;

/// <summary>
/// Writes rows as Parquet shards named as Hugging Face expects (<c>data/{split}-{i:05d}-of-{n:05d}.parquet</c>), with the
/// image column as <c>struct&lt;bytes: binary, path: string&gt;</c> and the features declared under the <c>huggingface</c>
/// key. Rows are buffered into row groups of about <see cref="RowGroupBytes"/>; a shard closes before it would pass
/// <see cref="ShardBytes"/>. Shards are written into a staging directory that the caller publishes whole.
/// </summary>
internal sealed class ParquetShardWriter(string stagingDirectory, string split) : IAsyncDisposable
{
    public long RowGroupBytes { get; init; } = 64L * 1024 * 1024;

    public long ShardBytes { get; init; } = 450L * 1024 * 1024;

    private static readonly DataField<string> Id = new("id");
    private static readonly DataField<string> Prompt = new("prompt");
    private static readonly DataField<string> Caption = new("caption");
    private static readonly DataField<byte[]> ImageBytes = new("bytes");
    private static readonly DataField<string> ImagePath = new("path");
    private static readonly DataField<int> Width = new("width");
    private static readonly DataField<int> Height = new("height");
    private static readonly DataField<string> Label = new("moderation_label");
    private static readonly DataField<string> LabelSource = new("label_source");
    private static readonly DataField<long> ConsentEventId = new("consent_event_id");
    private static readonly DataField<DateTime> PublishedAt = new("published_at");

    private static readonly ParquetSchema Schema = new(
        Id, Prompt, Caption, new StructField("image", ImageBytes, ImagePath), Width, Height, Label, LabelSource, ConsentEventId, PublishedAt);

    private static readonly string HuggingFaceFeatures = JsonSerializer.Serialize(new
    {
        info = new
        {
            features = new Dictionary<string, object>
            {
                ["id"] = Value("string"),
                ["prompt"] = Value("string"),
                ["caption"] = Value("string"),
                ["image"] = new Dictionary<string, string> { ["_type"] = "Image" },
                ["width"] = Value("int32"),
                ["height"] = Value("int32"),
                ["moderation_label"] = Value("string"),
                ["label_source"] = Value("string"),
                ["consent_event_id"] = Value("int64"),
                ["published_at"] = Value("timestamp[us, tz=UTC]"),
            },
        },
    });

    private static Dictionary<string, string> Value(string dtype) => new() { ["dtype"] = dtype, ["_type"] = "Value" };

    private readonly List<DatasetRow> _buffer = [];
    private readonly List<(string TemporaryPath, long Rows)> _shards = [];
    private long _bufferedBytes;
    private FileStream? _file;
    private ParquetWriter? _writer;
    private long _shardRows;

    public async Task AddAsync(DatasetRow row, CancellationToken cancellationToken)
    {
        _buffer.Add(row);
        _bufferedBytes += row.ImageBytes.Length + (row.Prompt.Length + (row.Caption?.Length ?? 0)) * 2 + 128;
        if (_bufferedBytes >= RowGroupBytes)
        {
            await FlushRowGroupAsync(cancellationToken);
        }
    }

    /// <summary>Closes the last shard, names every shard with the final count and returns them with sizes and SHA-256.</summary>
    public async Task<IReadOnlyList<ShardFile>> CompleteAsync(CancellationToken cancellationToken)
    {
        await FlushRowGroupAsync(cancellationToken);
        await CloseShardAsync();
        if (_shards.Count == 0)
        {
            // An empty dataset is still a valid dataset: one shard with the schema and no rows.
            await OpenShardAsync(cancellationToken);
            await CloseShardAsync();
        }

        var files = new List<ShardFile>();
        for (var i = 0; i < _shards.Count; i++)
        {
            var relative = $"data/{split}-{i:D5}-of-{_shards.Count:D5}.parquet";
            var final = Path.Combine(stagingDirectory, relative);
            File.Move(_shards[i].TemporaryPath, final);
            files.Add(new ShardFile(relative, _shards[i].Rows, new FileInfo(final).Length, await Sha256Async(final, cancellationToken)));
        }

        return files;
    }

    private async Task FlushRowGroupAsync(CancellationToken cancellationToken)
    {
        if (_buffer.Count == 0)
        {
            return;
        }

        if (_file is not null && _file.Length + _bufferedBytes > ShardBytes)
        {
            await CloseShardAsync();
        }

        if (_writer is null)
        {
            await OpenShardAsync(cancellationToken);
        }

        using (var group = _writer!.CreateRowGroup())
        {
            await group.WriteAsync(Id, _buffer.Select(r => r.PostId.ToString()).ToArray(), null);
            await group.WriteAsync(Prompt, _buffer.Select(r => r.Prompt).ToArray(), null);
            await group.WriteAsync(Caption, _buffer.Select(r => r.Caption).ToArray()!, null);
            await group.WriteAsync(ImageBytes, _buffer.Select(r => r.ImageBytes).ToArray(), null);
            await group.WriteAsync(ImagePath, _buffer.Select(r => r.ImagePath).ToArray(), null);
            await group.WriteAsync<int>(Width, _buffer.Select(r => r.Width).ToArray(), null, null, cancellationToken);
            await group.WriteAsync<int>(Height, _buffer.Select(r => r.Height).ToArray(), null, null, cancellationToken);
            await group.WriteAsync(Label, _buffer.Select(r => r.ModerationLabel).ToArray(), null);
            await group.WriteAsync(LabelSource, _buffer.Select(r => r.LabelSource).ToArray(), null);
            await group.WriteAsync<long>(ConsentEventId, _buffer.Select(r => r.ConsentEventId).ToArray(), null, null, cancellationToken);
            await group.WriteAsync<DateTime>(PublishedAt, _buffer.Select(r => r.PublishedAt.UtcDateTime).ToArray(), null, null, cancellationToken);
            group.CompleteValidate();
        }

        _shardRows += _buffer.Count;
        _buffer.Clear();
        _bufferedBytes = 0;
    }

    private async Task OpenShardAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(stagingDirectory, "data", $".{split}-{_shards.Count:D5}.parquet.partial");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.Asynchronous);
        // Parquet.Net 6.0–6.1 maps the default level to Zstd level 19 (~3 MiB/s); Optimal is about 100 times faster.
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Zstd, CompressionLevel = CompressionLevel.Optimal };
        _writer = await ParquetWriter.CreateAsync(Schema, _file, options, cancellationToken: cancellationToken);
        _writer.CustomMetadata = new Dictionary<string, string> { ["huggingface"] = HuggingFaceFeatures };
        _shards.Add((path, 0));
        _shardRows = 0;
    }

    private async Task CloseShardAsync()
    {
        if (_writer is null)
        {
            return;
        }

        await _writer.DisposeAsync();
        _file!.Flush(flushToDisk: true);
        await _file.DisposeAsync();
        _shards[^1] = (_shards[^1].TemporaryPath, _shardRows);
        _writer = null;
        _file = null;
    }

    private static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        if (_file is not null)
        {
            await _file.DisposeAsync();
        }
    }
}
