using System.Buffers;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using AiSocial.Export.Runs;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;

namespace AiSocial.Export.Storage;

/// <summary>
/// Where runs are published beyond the machine: an Azure Blob Storage container (<c>Export:Blob</c>). Read only when
/// <see cref="ConnectionString"/> is set; runs then go to the container as well as to <c>Export:Root</c>.
/// </summary>
internal sealed record BlobStorageOptions
{
    public const string Section = "Export:Blob";

    /// <summary>An Azure Storage connection string; empty means runs stay in directories only.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Azure's container naming rules: 3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.</summary>
    [Required]
    [RegularExpression("^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$", ErrorMessage = "Export:Blob:Container must be 3 to 63 lower-case letters, digits and single hyphens.")]
    public string Container { get; init; } = "datasets";

    /// <summary>Files are uploaded in blocks of this size (Azure allows up to 4,000 MiB per block and 50,000 blocks per blob).</summary>
    [Range(1024, 1 << 30)]
    public int BlockBytes { get; init; } = 8 * 1024 * 1024;
}

/// <summary>
/// Refuses, at start, a connection string the Azure SDK cannot read, naming the setting: without this the host started
/// and the first run or download failed with the SDK's own words (when it first built the client).
/// </summary>
internal sealed class BlobStorageOptionsValidation : IValidateOptions<BlobStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, BlobStorageOptions options)
    {
        try
        {
            _ = new BlobServiceClient(options.ConnectionString);
            return ValidateOptionsResult.Success;
        }
        catch (Exception invalid) when (invalid is FormatException or ArgumentException or InvalidOperationException)
        {
            return ValidateOptionsResult.Fail(
                $"Export:Blob:ConnectionString is not an Azure Storage connection string ({invalid.Message}); it takes the form " +
                "DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=core.windows.net, or leave it empty to keep runs in directories only.");
        }
    }
}

/// <summary>How far an upload has got: bytes sent so far, and the file just committed (null while a file's blocks go up).</summary>
internal readonly record struct BlobUploadProgress(long Bytes, string? Committed);

/// <summary>
/// Publishes a staged run to Blob Storage as <c>{dataset}/{runId}/{path}</c> and reads it back. Every file but
/// <c>manifest.json</c> goes up first, each staged in blocks and committed whole with its SHA-256 in the blob's
/// metadata; the manifest is committed last. A reader therefore never sees a partial run: a run exists in the store
/// once its manifest does, and what an interrupted upload left behind has no manifest and is removed by
/// <see cref="DeleteUnpublishedAsync"/> (or <see cref="WithdrawAsync"/>, manifest and all, for a run that is not to stay).
/// </summary>
internal sealed class BlobRunStore(BlobContainerClient container, int blockBytes)
{
    public const string Sha256Metadata = "sha256";

    public BlobRunStore(BlobStorageOptions options)
        : this(new BlobServiceClient(options.ConnectionString).GetBlobContainerClient(options.Container), options.BlockBytes)
    {
    }

    public string ContainerName => container.Name;

    public static string Prefix(string dataset, Guid runId) => $"{dataset}/{runId}/";

    /// <summary>Uploads every file under <paramref name="runDirectory"/>, the manifest last; <paramref name="progress"/> hears each block sent and each file committed.</summary>
    public async Task PublishAsync(string runDirectory, string dataset, Guid runId, IProgress<BlobUploadProgress>? progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(runDirectory, ExportManifest.FileName)))
        {
            throw new InvalidOperationException($"{runDirectory} has no {ExportManifest.FileName}: only a whole run can be published.");
        }

        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var prefix = Prefix(dataset, runId);
        var files = Directory.EnumerateFiles(runDirectory, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(runDirectory, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(path => path != ExportManifest.FileName)
            .Order(StringComparer.Ordinal)
            .Append(ExportManifest.FileName);
        var sent = 0L;
        foreach (var file in files)
        {
            await UploadAsync(Path.Combine(runDirectory, file), prefix + file,
                bytes => progress?.Report(new BlobUploadProgress(Interlocked.Add(ref sent, bytes), null)), cancellationToken);
            progress?.Report(new BlobUploadProgress(Interlocked.Read(ref sent), file));
        }
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
    /// Removes all of a run that is not to stay published (it failed or was cancelled after its upload began): the manifest
    /// first, so no reader takes what is left for a published run, then the rest.
    /// </summary>
    public async Task<int> WithdrawAsync(string dataset, Guid runId, CancellationToken cancellationToken)
    {
        if (!await container.ExistsAsync(cancellationToken))
        {
            return 0;
        }

        var manifest = await container.DeleteBlobIfExistsAsync(Prefix(dataset, runId) + ExportManifest.FileName, cancellationToken: cancellationToken);
        return (manifest.Value ? 1 : 0) + await DeleteUnpublishedAsync(dataset, runId, cancellationToken);
    }

    /// <summary>
    /// A file of a published run as a seekable stream of known length that fetches only what is read (so a range is served
    /// by seeking, a block at a time); null when the run is not published or has no such file. Reading fails if the blob
    /// changes meanwhile.
    /// </summary>
    public async Task<Stream?> OpenReadAsync(string dataset, Guid runId, string path, CancellationToken cancellationToken)
    {
        if (path.Split('/').Any(part => part is "" or "." or "..") || !await IsPublishedAsync(dataset, runId, cancellationToken))
        {
            return null;
        }

        try
        {
            return await container.GetBlobClient(Prefix(dataset, runId) + path)
                .OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = blockBytes }, cancellationToken);
        }
        catch (RequestFailedException failure) when (failure.Status == 404)
        {
            return null;
        }
    }

    /// <summary>How many blocks of one file are sent at once: a block's round trip, not the link, bounds one at a time.</summary>
    public const int BlocksAtOnce = 4;

    /// <summary>
    /// Stages the file block by block, up to <see cref="BlocksAtOnce"/> in flight (each in its own pooled buffer), hashing
    /// as it reads, then commits the block list, in file order, with the SHA-256 in the metadata. A block that fails
    /// fails the upload before the commit, so nothing of a file is visible unless all of it went up.
    /// </summary>
    private async Task UploadAsync(string path, string blobName, Action<int> sent, CancellationToken cancellationToken)
    {
        var blob = container.GetBlockBlobClient(blobName);
        var blocks = new List<string>();
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var slots = new SemaphoreSlim(BlocksAtOnce);
        var staging = new List<Task>();
        try
        {
            await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            {
                while (true)
                {
                    await slots.WaitAsync(cancellationToken);
                    staging.RemoveAll(t => t.IsCompletedSuccessfully); // so the list, and this check, stay as short as the blocks in flight
                    if (staging.Find(t => t.IsFaulted || t.IsCanceled) is { } failed)
                    {
                        slots.Release();
                        await failed; // rethrows its error
                    }

                    var buffer = ArrayPool<byte>.Shared.Rent(blockBytes);
                    int read;
                    try
                    {
                        read = await file.ReadAtLeastAsync(buffer.AsMemory(0, blockBytes), blockBytes, throwOnEndOfStream: false, cancellationToken);
                    }
                    catch
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        slots.Release();
                        throw;
                    }

                    if (read == 0)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        slots.Release();
                        break;
                    }

                    sha256.AppendData(buffer, 0, read);
                    // Block ids must all have the same length within a blob.
                    var id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{blocks.Count:D8}"));
                    blocks.Add(id);
                    staging.Add(StageAsync(blob, id, buffer, read, slots, sent, cancellationToken));
                }
            }
        }
        finally
        {
            // Whatever stopped the loop, no block is left running with a buffer or a slot of this call.
            await Task.WhenAll(staging.Select(t => t.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)));
        }

        await Task.WhenAll(staging);
        await blob.CommitBlockListAsync(blocks, new CommitBlockListOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = ContentType(blobName) },
            Metadata = new Dictionary<string, string> { [Sha256Metadata] = Convert.ToHexStringLower(sha256.GetHashAndReset()) },
        }, cancellationToken);
    }

    private static async Task StageAsync(BlockBlobClient blob, string id, byte[] buffer, int length, SemaphoreSlim slots, Action<int> sent,
        CancellationToken cancellationToken)
    {
        try
        {
            using var block = new MemoryStream(buffer, 0, length, writable: false);
            await blob.StageBlockAsync(id, block, cancellationToken: cancellationToken);
            sent(length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            slots.Release();
        }
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".parquet" => "application/vnd.apache.parquet",
        ".json" => "application/json",
        ".md" => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    };
}
