using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using AiSocial.Export.Runs;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace AiSocial.Export.Storage;

/// <summary>Where runs are published beyond the machine: an Azure Blob Storage container (<c>Export:Blob</c>).</summary>
internal sealed class BlobStorageOptions
{
    public const string Section = "Export:Blob";

    /// <summary>An Azure Storage connection string; empty means runs stay in directories only.</summary>
    public string? ConnectionString { get; set; }

    public string Container { get; set; } = "datasets";

    /// <summary>Files are uploaded in blocks of this size (Azure allows up to 4,000 MiB per block and 50,000 blocks per blob).</summary>
    public int BlockBytes { get; set; } = 8 * 1024 * 1024;
}

/// <summary>A file of a published run read from the store: <see cref="Content"/> holds the requested range only.</summary>
internal sealed record StoredFile(Stream Content, long Length, long Offset, long TotalLength, string ContentType, string? Sha256) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>
/// Publishes a staged run to Blob Storage as <c>{dataset}/{runId}/{path}</c> and reads it back. Every file but
/// <c>manifest.json</c> goes up first, each staged in blocks and committed whole with its SHA-256 in the blob's
/// metadata; the manifest is committed last. A reader therefore never sees a partial run: a run exists in the store
/// once its manifest does, and what an interrupted upload left behind has no manifest and is removed by
/// <see cref="DeleteUnpublishedAsync"/> before the next attempt.
/// </summary>
internal sealed class BlobRunStore(BlobContainerClient container, int blockBytes)
{
    public const string Sha256Metadata = "sha256";

    public BlobRunStore(BlobStorageOptions options)
        : this(new BlobServiceClient(options.ConnectionString).GetBlobContainerClient(options.Container), options.BlockBytes)
    {
    }

    public static string Prefix(string dataset, Guid runId) => $"{dataset}/{runId}/";

    /// <summary>Uploads every file under <paramref name="runDirectory"/>, the manifest last; <paramref name="uploaded"/> hears each file's name once it is committed.</summary>
    public async Task PublishAsync(string runDirectory, string dataset, Guid runId, IProgress<string>? uploaded, CancellationToken cancellationToken)
    {
        var manifest = Path.Combine(runDirectory, ExportManifest.FileName);
        if (!File.Exists(manifest))
        {
            throw new InvalidOperationException($"{runDirectory} has no {ExportManifest.FileName}: only a whole run can be published.");
        }

        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var prefix = Prefix(dataset, runId);
        var files = Directory.EnumerateFiles(runDirectory, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(runDirectory, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(path => path != ExportManifest.FileName)
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            await UploadAsync(Path.Combine(runDirectory, file), prefix + file, cancellationToken);
            uploaded?.Report(file);
        }

        await UploadAsync(manifest, prefix + ExportManifest.FileName, cancellationToken);
        uploaded?.Report(ExportManifest.FileName);
    }

    /// <summary>Whether the run is in the store: its manifest is.</summary>
    public async Task<bool> IsPublishedAsync(string dataset, Guid runId, CancellationToken cancellationToken) =>
        await container.ExistsAsync(cancellationToken) &&
        await container.GetBlobClient(Prefix(dataset, runId) + ExportManifest.FileName).ExistsAsync(cancellationToken);

    /// <summary>The runs of <paramref name="dataset"/> whose manifest is in the store.</summary>
    public async Task<IReadOnlyList<Guid>> PublishedRunsAsync(string dataset, CancellationToken cancellationToken)
    {
        var runs = new List<Guid>();
        if (!await container.ExistsAsync(cancellationToken))
        {
            return runs;
        }

        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{dataset}/" }, cancellationToken))
        {
            var parts = blob.Name.Split('/');
            if (parts.Length == 3 && parts[2] == ExportManifest.FileName && Guid.TryParse(parts[1], out var runId))
            {
                runs.Add(runId);
            }
        }

        return runs;
    }

    /// <summary>Removes what an interrupted upload of the run left behind; a published run (its manifest present) is left alone.</summary>
    public async Task<int> DeleteUnpublishedAsync(string dataset, Guid runId, CancellationToken cancellationToken)
    {
        if (!await container.ExistsAsync(cancellationToken) || await IsPublishedAsync(dataset, runId, cancellationToken))
        {
            return 0;
        }

        var deleted = 0;
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = Prefix(dataset, runId) }, cancellationToken))
        {
            await container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
            deleted++;
        }

        return deleted;
    }

    /// <summary>
    /// A file of a published run, whole or from <paramref name="offset"/> for <paramref name="length"/> bytes; null when
    /// the run is not published or has no such file.
    /// </summary>
    public async Task<StoredFile?> OpenReadAsync(string dataset, Guid runId, string path, long offset, long? length, CancellationToken cancellationToken)
    {
        if (path.Split('/').Any(part => part is "" or "." or "..") || !await IsPublishedAsync(dataset, runId, cancellationToken))
        {
            return null;
        }

        try
        {
            var download = await container.GetBlobClient(Prefix(dataset, runId) + path).DownloadStreamingAsync(
                new BlobDownloadOptions { Range = new HttpRange(offset, length) }, cancellationToken);
            var details = download.Value.Details;
            var total = details.ContentRange is { } range && range.LastIndexOf('/') is var slash and > 0
                ? long.Parse(range[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture)
                : details.ContentLength;
            return new StoredFile(download.Value.Content, details.ContentLength, offset, total, details.ContentType,
                details.Metadata.TryGetValue(Sha256Metadata, out var sha256) ? sha256 : null);
        }
        catch (RequestFailedException failure) when (failure.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Stages the file block by block, hashing as it reads, then commits the block list with the SHA-256 in the metadata.</summary>
    private async Task UploadAsync(string path, string blobName, CancellationToken cancellationToken)
    {
        var blob = container.GetBlockBlobClient(blobName);
        var blocks = new List<string>();
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(blockBytes);
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            int read;
            while ((read = await file.ReadAtLeastAsync(buffer.AsMemory(0, blockBytes), blockBytes, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                sha256.AppendData(buffer, 0, read);
                // Block ids must all have the same length within a blob.
                var id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{blocks.Count:D8}"));
                using var block = new MemoryStream(buffer, 0, read, writable: false);
                await blob.StageBlockAsync(id, block, cancellationToken: cancellationToken);
                blocks.Add(id);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await blob.CommitBlockListAsync(blocks, new CommitBlockListOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = ContentType(blobName) },
            Metadata = new Dictionary<string, string> { [Sha256Metadata] = Convert.ToHexStringLower(sha256.GetHashAndReset()) },
        }, cancellationToken);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".parquet" => "application/vnd.apache.parquet",
        ".json" => "application/json",
        ".md" => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    };
}
