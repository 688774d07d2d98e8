using System.Security.Cryptography;
using AiSocial.Export.Parquet;
using AiSocial.Export.Runs;
using AiSocial.Export.Storage;
using AiSocial.Ingest.Audit;
using AiSocial.Testing;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace AiSocial.Export.Tests;

/// <summary>A real export run, and Azurite to publish it to.</summary>
public sealed class BlobFixture : PlatformFixture
{
    public Azurite? Azurite { get; private set; }

    public ExportRunResult Run { get; private set; } = null!;

    public string Dataset { get; private set; } = null!;

    public string Output { get; } = Path.Combine(Directory.CreateTempSubdirectory("aisocial-blob-").FullName, "run");

    protected override async Task StartAsync()
    {
        var azurite = Azurite.StartAsync();
        await base.StartAsync();
        var scenario = await ExportScenario.CreateAsync(this);
        Dataset = scenario.Dataset;
        Run = (await Get<ExportRunner>().RunAsync(Dataset, Actor.System("test"), ExportRunKind.Full, Output, null, default)).Value;
        Azurite = await azurite;
    }

    protected override async ValueTask StopAsync()
    {
        if (Azurite is not null)
        {
            await Azurite.DisposeAsync();
        }

        await base.StopAsync();
    }

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
            await using var stored = await store.OpenReadAsync(fixture.Dataset, fixture.Run.RunId, path, 0, null, default);
            Assert.NotNull(stored);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(copy, path))!);
            await using var file = File.Create(Path.Combine(copy, path));
            await stored.Content.CopyToAsync(file);
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
    public async Task The_manifest_is_committed_last_so_an_interrupted_upload_publishes_nothing_and_is_cleaned_before_the_next()
    {
        var container = fixture.NewContainer();
        var store = new BlobRunStore(container, BlockBytes);
        using var interrupt = new CancellationTokenSource();
        var committed = new List<string>();

        // The upload is stopped as soon as the first file is committed, as a killed process would stop it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId,
            new SynchronousProgress<string>(file =>
            {
                committed.Add(file);
                interrupt.Cancel();
            }), interrupt.Token));

        Assert.NotEqual(ExportManifest.FileName, Assert.Single(committed));
        Assert.False(await store.IsPublishedAsync(fixture.Dataset, fixture.Run.RunId, default));
        Assert.Empty(await store.PublishedRunsAsync(fixture.Dataset, default));
        Assert.Null(await store.OpenReadAsync(fixture.Dataset, fixture.Run.RunId, committed[0], 0, null, default));

        Assert.Equal(1, await store.DeleteUnpublishedAsync(fixture.Dataset, fixture.Run.RunId, default));
        await store.PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId, null, default);
        Assert.True(await store.IsPublishedAsync(fixture.Dataset, fixture.Run.RunId, default));
        Assert.Equal(0, await store.DeleteUnpublishedAsync(fixture.Dataset, fixture.Run.RunId, default));
    }

    [Fact]
    public async Task A_range_is_read_from_the_store_without_the_rest_of_the_file()
    {
        var container = fixture.NewContainer();
        var store = new BlobRunStore(container, BlockBytes);
        await store.PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId, null, default);
        var shard = fixture.LargestShard;
        var local = await File.ReadAllBytesAsync(Path.Combine(fixture.Output, shard.Path));

        await using var stored = await store.OpenReadAsync(fixture.Dataset, fixture.Run.RunId, shard.Path, BlockBytes - 10, 100, default);
        Assert.NotNull(stored);
        using var slice = new MemoryStream();
        await stored.Content.CopyToAsync(slice);

        Assert.Equal(local.AsSpan(BlockBytes - 10, 100).ToArray(), slice.ToArray());
        Assert.Equal((100L, BlockBytes - 10L, local.LongLength), (stored.Length, stored.Offset, stored.TotalLength));
        Assert.Equal(shard.Sha256, stored.Sha256);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(local)), stored.Sha256);
    }

    [Fact]
    public async Task Paths_outside_the_run_and_unknown_runs_are_not_served()
    {
        var container = fixture.NewContainer();
        var store = new BlobRunStore(container, BlockBytes);
        await store.PublishAsync(fixture.Output, fixture.Dataset, fixture.Run.RunId, null, default);

        Assert.Null(await store.OpenReadAsync(fixture.Dataset, fixture.Run.RunId, "../other/manifest.json", 0, null, default));
        Assert.Null(await store.OpenReadAsync(fixture.Dataset, fixture.Run.RunId, "data/none.parquet", 0, null, default));
        Assert.Null(await store.OpenReadAsync(fixture.Dataset, Guid.NewGuid(), ExportManifest.FileName, 0, null, default));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.PublishAsync(Directory.CreateTempSubdirectory().FullName, fixture.Dataset, Guid.NewGuid(), null, default));
    }
}
