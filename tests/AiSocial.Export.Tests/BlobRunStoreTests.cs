using System.Security.Cryptography;
using AiSocial.Export.Datasets;
using AiSocial.Export.Parquet;
using AiSocial.Export.Runs;
using AiSocial.Export.Storage;
using AiSocial.Export.Writing;
using AiSocial.Ingest.Audit;
using AiSocial.Testing;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AiSocial.Export.Tests;

/// <summary>
/// Azurite, a platform configured to publish runs to its container <see cref="Container"/> in small blocks, and one
/// real export run written to <see cref="Output"/>.
/// </summary>
public sealed class BlobFixture : PlatformFixture
{
    public const string Container = "runs";

    public Azurite? Azurite { get; private set; }

    public ExportRunResult Run { get; private set; } = null!;

    public string Dataset { get; private set; } = null!;

    public string Output { get; } = Path.Combine(Directory.CreateTempSubdirectory("aisocial-blob-").FullName, "run");

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Export:Blob:ConnectionString"] = Azurite!.ConnectionString;
        settings["Export:Blob:Container"] = Container;
        settings["Export:Blob:BlockBytes"] = "1024";
    }

    protected override async Task StartAsync()
    {
        Azurite = await Azurite.StartAsync();
        await base.StartAsync();
        var scenario = await ExportScenario.CreateAsync(this);
        Dataset = scenario.Dataset;
        Run = (await Get<ExportRunner>().RunAsync(Dataset, Actor.System("test"), ExportRunKind.Full, Output, null, default)).Value;
    }

    protected override async ValueTask StopAsync()
    {
        if (Azurite is not null)
        {
            await Azurite.DisposeAsync();
        }

        await base.StopAsync();
    }

    /// <summary>The settings this fixture's host has, changed by <paramref name="change"/>.</summary>
    public IDictionary<string, string?> SettingsWith(Action<IDictionary<string, string?>> change)
    {
        var settings = Settings;
        Configure(settings);
        change(settings);
        return settings;
    }

    /// <summary>The configured container, as a reader of it sees it.</summary>
    public BlobContainerClient Published => new BlobServiceClient(Azurite!.ConnectionString).GetBlobContainerClient(Container);

    /// <summary>A dataset of its own for a test, all rows in train, so its runs meet no other test's.</summary>
    public async Task<string> NewDatasetAsync()
    {
        var name = $"blob-{Guid.NewGuid():N}"[..20];
        await Get<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec
        {
            Name = name,
            Description = "Blob test dataset.",
            Splits = new DatasetSplits { Train = 1, Validation = 0, Test = 0 },
        }, default);
        return name;
    }

    public async Task<ExportRunResult> RunAsync(string dataset, IProgress<RunProgress>? progress = null) =>
        (await Get<ExportRunner>().RunAsync(dataset, Actor.System("test"), ExportRunKind.Full, null, progress, default)).Value;

    public ShardFile LargestShard => Run.Manifest!.Files.Where(f => f.Path.StartsWith("data/", StringComparison.Ordinal)).MaxBy(f => f.Bytes)!;

    /// <summary>A container of its own per test, so tests do not see each other's runs.</summary>
    public BlobContainerClient NewContainer() =>
        new BlobServiceClient(Azurite!.ConnectionString).GetBlobContainerClient($"t{Guid.NewGuid():N}");
}

public sealed class BlobRunStoreTests(BlobFixture fixture) : IClassFixture<BlobFixture>
{
    /// <summary>Small blocks, so even the test's shard goes up in several.</summary>
    private const int BlockBytes = 1024;

    [Fact]
    public async Task A_published_run_reads_back_byte_for_byte_and_passes_verification_against_its_manifest()
    {
        var container = fixture.NewContainer();
        var store = new BlobRunStore(container, BlockBytes);

        await store.PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId, null, default);

        var copy = Directory.CreateTempSubdirectory("aisocial-blob-copy-").FullName;
        foreach (var path in fixture.Run.Manifest!.Files.Select(f => f.Path).Append(ExportManifest.FileName))
        {
            await using var stored = await store.OpenReadAsync(fixture.Dataset, fixture.Run.RunId, path, default);
            Assert.NotNull(stored);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(copy, path))!);
            await using var file = File.Create(Path.Combine(copy, path));
            await stored.CopyToAsync(file);
        }

        Assert.All(await ExportVerifier.VerifyAsync(copy, default), file => Assert.True(file.Ok, $"{file.Path}: {file.Problem}"));
        Assert.Equal([fixture.Run.RunId], await store.PublishedRunsAsync(fixture.Dataset, default));
    }

    [Fact]
    public async Task Shards_go_up_in_blocks_and_carry_the_SHA_256_the_manifest_names()
    {
        var container = fixture.NewContainer();
        await new BlobRunStore(container, BlockBytes).PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId, null, default);

        var shard = fixture.LargestShard;
        Assert.True(shard.Bytes > 2 * BlockBytes, "the test run's shard should span several blocks");
        var blob = container.GetBlockBlobClient(BlobRunStore.Prefix(fixture.Dataset, fixture.Run.RunId) + shard.Path);
        var blocks = (await blob.GetBlockListAsync(BlockListTypes.Committed)).Value.CommittedBlocks.ToList();
        var properties = (await blob.GetPropertiesAsync()).Value;

        Assert.Equal((int)((shard.Bytes + BlockBytes - 1) / BlockBytes), blocks.Count);
        Assert.Equal(shard.Sha256, properties.Metadata[BlobRunStore.Sha256Metadata]);
        Assert.Equal(shard.Bytes, properties.ContentLength);
    }

    [Fact]
    public async Task A_files_blocks_go_up_several_at_once_and_one_that_fails_fails_the_upload_before_its_file_is_committed()
    {
        var shard = fixture.LargestShard;
        var shardBlob = BlobRunStore.Prefix(fixture.Dataset, fixture.Run.RunId) + shard.Path;
        var watching = new BlockTraffic();
        var failing = new BlockTraffic { FailBlockOf = shardBlob };
        BlobContainerClient Container(BlockTraffic traffic)
        {
            var options = new BlobClientOptions();
            options.AddPolicy(traffic, HttpPipelinePosition.PerCall);
            return new BlobServiceClient(fixture.Azurite!.ConnectionString, options).GetBlobContainerClient($"t{Guid.NewGuid():N}");
        }

        var (fine, broken) = (Container(watching), Container(failing));
        await new BlobRunStore(fine, BlockBytes).PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId, null, default);
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() =>
            new BlobRunStore(broken, BlockBytes).PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId, null, default));

        Assert.InRange(watching.MostInFlight, 2, BlobRunStore.BlocksAtOnce);
        Assert.Contains("(simulated)", refused.Message);
        Assert.False((await broken.GetBlobClient(shardBlob).ExistsAsync()).Value, "the shard whose block failed was not committed");
        Assert.False((await broken.GetBlobClient(BlobRunStore.Prefix(fixture.Dataset, fixture.Run.RunId) + ExportManifest.FileName).ExistsAsync()).Value);
        Assert.Equal(shard.Sha256, (await fine.GetBlobClient(shardBlob).GetPropertiesAsync()).Value.Metadata[BlobRunStore.Sha256Metadata]);
    }

    [Fact]
    public async Task The_manifest_is_committed_last_so_an_interrupted_upload_publishes_nothing_and_is_cleaned_before_the_next()
    {
        var container = fixture.NewContainer();
        var store = new BlobRunStore(container, BlockBytes);
        using var interrupt = new CancellationTokenSource();
        var committed = new List<string>();

        // The upload is stopped as soon as the first file is committed, as a killed process would stop it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId,
            new SynchronousProgress<BlobUploadProgress>(sent =>
            {
                if (sent.Committed is { } file)
                {
                    committed.Add(file);
                    interrupt.Cancel();
                }
            }), interrupt.Token));

        Assert.NotEqual(ExportManifest.FileName, Assert.Single(committed));
        Assert.False(await store.IsPublishedAsync(fixture.Dataset, fixture.Run.RunId, default));
        Assert.Empty(await store.PublishedRunsAsync(fixture.Dataset, default));
        Assert.Null(await store.OpenReadAsync(fixture.Dataset, fixture.Run.RunId, committed[0], default));

        Assert.Equal(1, await store.DeleteUnpublishedAsync(fixture.Dataset, fixture.Run.RunId, default));
        await store.PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId, null, default);
        Assert.True(await store.IsPublishedAsync(fixture.Dataset, fixture.Run.RunId, default));
        Assert.Equal(0, await store.DeleteUnpublishedAsync(fixture.Dataset, fixture.Run.RunId, default));
    }

    [Fact]
    public async Task A_range_is_read_from_the_store_by_seeking_the_stream_it_opens()
    {
        var container = fixture.NewContainer();
        var store = new BlobRunStore(container, BlockBytes);
        await store.PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId, null, default);
        var shard = fixture.LargestShard;
        var local = await File.ReadAllBytesAsync(Path.Combine(fixture.Output, shard.Path));

        await using var stored = await store.OpenReadAsync(fixture.Dataset, fixture.Run.RunId, shard.Path, default);
        Assert.NotNull(stored);
        stored.Seek(BlockBytes - 10, SeekOrigin.Begin);
        var slice = new byte[100];
        await stored.ReadExactlyAsync(slice);

        Assert.True(stored.CanSeek);
        Assert.Equal(local.LongLength, stored.Length);
        Assert.Equal(local.AsSpan(BlockBytes - 10, 100).ToArray(), slice);
    }

    [Fact]
    public async Task Paths_outside_the_run_and_unknown_runs_are_not_served()
    {
        var container = fixture.NewContainer();
        var store = new BlobRunStore(container, BlockBytes);
        await store.PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId, null, default);

        Assert.Null(await store.OpenReadAsync(fixture.Dataset, fixture.Run.RunId, "../other/manifest.json", default));
        Assert.Null(await store.OpenReadAsync(fixture.Dataset, fixture.Run.RunId, "data/none.parquet", default));
        Assert.Null(await store.OpenReadAsync(fixture.Dataset, Guid.NewGuid(), ExportManifest.FileName, default));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.PublishAsync(Directory.CreateTempSubdirectory().FullName, fixture.Dataset, Guid.NewGuid(), null, default));
    }

    [Fact]
    public async Task A_withdrawn_run_is_no_longer_published_and_leaves_no_blob()
    {
        var container = fixture.NewContainer();
        var store = new BlobRunStore(container, BlockBytes);
        await store.PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId, null, default);

        Assert.Equal(fixture.Run.Manifest!.Files.Count + 1, await store.WithdrawAsync(fixture.Dataset, fixture.Run.RunId, default));

        Assert.False(await store.IsPublishedAsync(fixture.Dataset, fixture.Run.RunId, default));
        Assert.Empty(await BlobNamesAsync(container, ""));
    }

    [Fact]
    public async Task A_run_with_a_container_configured_goes_up_manifest_last_with_the_checksums_its_manifest_names()
    {
        var dataset = await fixture.NewDatasetAsync();
        var container = fixture.Published;
        var seen = new List<(long Bytes, HashSet<string> Blobs)>();
        var progress = new SynchronousProgress<RunProgress>(p =>
        {
            if (p.Phase == "upload")
            {
                // What a reader listing the container sees at this moment of the upload.
                seen.Add((p.BytesWritten, container.Exists() ? container.GetBlobs(new GetBlobsOptions { Prefix = $"{dataset}/" }).Select(b => b.Name).ToHashSet() : []));
            }
        });

        var run = await fixture.RunAsync(dataset, progress);

        var prefix = BlobRunStore.Prefix(dataset, run.RunId);
        var files = run.Manifest!.Files.Select(f => prefix + f.Path).ToHashSet();
        var manifest = prefix + ExportManifest.FileName;
        var localManifest = await File.ReadAllBytesAsync(Path.Combine(run.Output, ExportManifest.FileName));
        Assert.Equal(ExportRunStatus.Succeeded, run.Status);
        Assert.Equal(files.Append(manifest).Order(StringComparer.Ordinal), await BlobNamesAsync(container, prefix));
        Assert.All(seen.Where(s => s.Blobs.Contains(manifest)), s => Assert.Superset(files, s.Blobs));
        Assert.Contains(seen, s => s.Blobs.IsSupersetOf(files) && !s.Blobs.Contains(manifest));
        Assert.Equal(run.Manifest.Files.Sum(f => f.Bytes) + localManifest.Length, seen.Max(s => s.Bytes));
        foreach (var file in run.Manifest.Files)
        {
            var blob = (await container.GetBlobClient(prefix + file.Path).DownloadContentAsync()).Value;
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(blob.Content.ToArray())));
            Assert.Equal(file.Sha256, blob.Details.Metadata[BlobRunStore.Sha256Metadata]);
        }

        Assert.Equal(localManifest, (await container.GetBlobClient(manifest).DownloadContentAsync()).Value.Content.ToArray());
    }

    [Fact]
    public async Task A_run_whose_upload_fails_is_failed_with_the_reason_and_leaves_nothing_in_the_container_or_on_disk()
    {
        var dataset = await fixture.NewDatasetAsync();
        var failing = new FailManifestCommit();
        var options = new BlobClientOptions();
        options.AddPolicy(failing, HttpPipelinePosition.PerCall);
        var store = new BlobRunStore(new BlobServiceClient(fixture.Azurite!.ConnectionString, options).GetBlobContainerClient(BlobFixture.Container), BlockBytes);
        using var host = PlatformFixture.BuildHost(fixture.SettingsWith(_ => { }), builder => builder.Services.AddSingleton(store));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            host.Services.GetRequiredService<ExportRunner>().RunAsync(dataset, Actor.System("test"), ExportRunKind.Full, null, null, default));

        var runId = await fixture.ScalarAsync<Guid>("select r.id from export.runs r join export.datasets d on d.id = r.dataset_id where d.name = $1", dataset);
        Assert.True(failing.FilesCommitted > 1, "every file but the manifest was in the container when its commit failed");
        Assert.StartsWith($"Could not upload the run to Blob container '{BlobFixture.Container}', so it is not published: ", error.Message);
        Assert.Contains("(simulated)", error.Message);
        Assert.Equal("failed", await fixture.ScalarAsync<string>("select status from export.runs where id = $1", runId));
        Assert.Equal(error.Message, await fixture.ScalarAsync<string>("select error from export.runs where id = $1", runId));
        Assert.Empty(await BlobNamesAsync(fixture.Published, $"{dataset}/"));
        var directory = Path.Combine(fixture.ExportRoot, dataset);
        Assert.Empty(Directory.Exists(directory) ? Directory.GetFileSystemEntries(directory) : []);
        Assert.Equal(0, await fixture.ScalarAsync<long>("select count(*) from export.published_rows where run_id = $1", runId));
    }

    [Fact]
    public async Task A_run_killed_during_its_upload_is_removed_from_the_container_by_the_next_start()
    {
        var dataset = await fixture.NewDatasetAsync();
        var datasetId = await fixture.ScalarAsync<Guid>("select id from export.datasets where name = $1", dataset);
        // What a process that died after committing the manifest but before recording the run leaves: a running row with an
        // old heartbeat, its directory, and the run in the container.
        var killed = Guid.CreateVersion7();
        var output = Path.Combine(fixture.ExportRoot, dataset, killed.ToString());
        Directory.CreateDirectory(fixture.ExportRoot);
        CopyDirectory(fixture.Output, output);
        await new BlobRunStore(fixture.Published, BlockBytes).PublishAsync(output, dataset, killed, null, default);
        await fixture.ExecuteAsync(
            """
            insert into export.runs (id, dataset_id, status, requested_by, output, started_at, heartbeat_at, phase, node)
            values ($1, $2, 'running', 'system:test', $3, now() - interval '1 hour', now() - interval '50 minutes', 'upload', 'dead-node')
            """, killed, datasetId, output);

        var run = await fixture.RunAsync(dataset);

        Assert.Equal(ExportRunStatus.Succeeded, run.Status);
        Assert.Equal("failed", await fixture.ScalarAsync<string>("select status from export.runs where id = $1", killed));
        Assert.Empty(await BlobNamesAsync(fixture.Published, BlobRunStore.Prefix(dataset, killed)));
        Assert.False(Directory.Exists(output));
        Assert.Equal([run.RunId], await new BlobRunStore(fixture.Published, BlockBytes).PublishedRunsAsync(dataset, default));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Fact]
    public void A_container_name_Azure_would_refuse_or_an_unreadable_connection_string_stops_the_host_at_start_naming_the_setting_and_none_means_no_store()
    {
        using var misnamed = PlatformFixture.BuildHost(fixture.SettingsWith(settings => settings["Export:Blob:Container"] = "Runs_2026"));
        using var directoriesOnly = PlatformFixture.BuildHost(fixture.SettingsWith(settings => settings["Export:Blob:ConnectionString"] = ""));
        using var garbled = PlatformFixture.BuildHost(fixture.SettingsWith(settings => settings["Export:Blob:ConnectionString"] = "AccountName=devstoreaccount1;garbage"));

        var refused = Assert.Throws<OptionsValidationException>(() => misnamed.Services.GetRequiredService<IStartupValidator>().Validate());
        var unreadable = Assert.Throws<OptionsValidationException>(() => garbled.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Export:Blob:Container", refused.Message);
        Assert.Contains("Export:Blob:ConnectionString is not an Azure Storage connection string", unreadable.Message);
        Assert.Null(directoriesOnly.Services.GetService<BlobRunStore>());
        directoriesOnly.Services.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public async Task Run_files_come_from_the_directory_or_once_it_is_gone_from_the_container_with_the_same_bytes_checksum_and_time()
    {
        var dataset = await fixture.NewDatasetAsync();
        var run = await fixture.RunAsync(dataset);
        var files = fixture.Get<RunFiles>();
        var paths = run.Manifest!.Files.Select(f => f.Path).Append(ExportManifest.FileName).ToList();
        var shard = run.Manifest.Files.Where(f => f.Path.StartsWith("data/", StringComparison.Ordinal)).MaxBy(f => f.Bytes)!.Path;
        var fromDisk = new Dictionary<string, (byte[] Bytes, string Sha256, DateTimeOffset PublishedAt)>();
        foreach (var path in paths)
        {
            await using var file = (await files.OpenAsync(dataset, run.RunId, path, default)).Value;
            Assert.IsType<FileStream>(file.Content);
            fromDisk[path] = (await ReadAllAsync(file.Content), file.Sha256, file.PublishedAt);
        }

        Directory.Delete(run.Output, recursive: true);

        foreach (var path in paths)
        {
            await using var file = (await files.OpenAsync(dataset, run.RunId, path, default)).Value;
            Assert.IsNotType<FileStream>(file.Content);
            Assert.Equal(fromDisk[path].Bytes.LongLength, file.Content.Length);
            Assert.Equal(fromDisk[path].Bytes, await ReadAllAsync(file.Content));
            Assert.Equal((fromDisk[path].Sha256, fromDisk[path].PublishedAt), (file.Sha256, file.PublishedAt));
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(fromDisk[ExportManifest.FileName].Bytes)), fromDisk[ExportManifest.FileName].Sha256);
        await using (var file = (await files.OpenAsync(dataset, run.RunId, shard, default)).Value)
        {
            // A range as the endpoint serves one: seek to its start and read its length.
            file.Content.Seek(BlockBytes + 7, SeekOrigin.Begin);
            var range = new byte[BlockBytes];
            await file.Content.ReadExactlyAsync(range);
            Assert.Equal(fromDisk[shard].Bytes.AsSpan(BlockBytes + 7, BlockBytes).ToArray(), range);
        }

        Assert.Equal("export-file-not-found", (await files.OpenAsync(dataset, run.RunId, "data/../manifest.json", default)).Refusal!.Problem.Code);
        Assert.Equal("export-file-not-found",
            (await new RunFiles(fixture.Get<ExportRuns>(), null).OpenAsync(dataset, run.RunId, shard, default)).Refusal!.Problem.Code);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static async Task<List<string>> BlobNamesAsync(BlobContainerClient container, string prefix)
    {
        var names = new List<string>();
        if (await container.ExistsAsync())
        {
            await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }))
            {
                names.Add(blob.Name);
            }
        }

        return names;
    }

    /// <summary>
    /// Watches block uploads (<c>comp=block</c>): how many were in flight at once (each is held a moment, as a remote
    /// store's round trip would), and, with <see cref="FailBlockOf"/>, fails that blob's third block.
    /// </summary>
    private sealed class BlockTraffic : HttpPipelinePolicy
    {
        private int _inFlight;
        private int _mostInFlight;
        private int _blocksOfFailing;

        public string? FailBlockOf { get; init; }

        public int MostInFlight => Volatile.Read(ref _mostInFlight);

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var uri = message.Request.Uri.ToUri();
            if (message.Request.Method != RequestMethod.Put || !uri.Query.Contains("comp=block&", StringComparison.Ordinal))
            {
                await ProcessNextAsync(message, pipeline);
                return;
            }

            if (FailBlockOf is { } failing && uri.AbsolutePath.EndsWith("/" + failing, StringComparison.Ordinal) && Interlocked.Increment(ref _blocksOfFailing) == 3)
            {
                throw new RequestFailedException(500, "The server could not store the block (simulated).", "InternalError", null);
            }

            var now = Interlocked.Increment(ref _inFlight);
            int most;
            while (now > (most = Volatile.Read(ref _mostInFlight)) && Interlocked.CompareExchange(ref _mostInFlight, now, most) != most)
            {
            }

            try
            {
                await Task.Delay(5);
                await ProcessNextAsync(message, pipeline);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    /// <summary>Storage that takes every file of a run and then fails the manifest's commit: the worst moment for an upload to fail.</summary>
    private sealed class FailManifestCommit : HttpPipelinePolicy
    {
        private int _filesCommitted;

        public int FilesCommitted => Volatile.Read(ref _filesCommitted);

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Check(message);
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Check(message);
            return ProcessNextAsync(message, pipeline);
        }

        private void Check(HttpMessage message)
        {
            var uri = message.Request.Uri.ToUri();
            if (message.Request.Method != RequestMethod.Put || !uri.Query.Contains("comp=blocklist", StringComparison.Ordinal))
            {
                return;
            }

            if (uri.AbsolutePath.EndsWith("/" + ExportManifest.FileName, StringComparison.Ordinal))
            {
                throw new RequestFailedException(500, "The server could not commit the blob (simulated).", "InternalError", null);
            }

            Interlocked.Increment(ref _filesCommitted);
        }
    }
}
