using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Media;
using AiSocial.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AiSocial.Export.Tests;

/// <summary>What a cluster's scheduler would be given: the ranges of each planned run, for the test to hand to a node.</summary>
public sealed class RecordingShardQueue : IExportShardQueue
{
    private readonly Dictionary<Guid, TaskCompletionSource<int>> _runs = [];

    public Task<bool> EnqueueAsync(Guid runId, int ranges, CancellationToken cancellationToken)
    {
        Queued(runId).TrySetResult(ranges);
        return Task.FromResult(true);
    }

    /// <summary>How many ranges the run was planned in, once it is.</summary>
    public Task<int> RangesAsync(Guid runId) => Queued(runId).Task.WaitAsync(TimeSpan.FromMinutes(2));

    private TaskCompletionSource<int> Queued(Guid runId)
    {
        lock (_runs)
        {
            return _runs.TryGetValue(runId, out var queued) ? queued : _runs[runId] = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}

/// <summary>
/// Two nodes on one database, media store and export root: two hosts, each with its own services and runner, as two
/// processes of a cluster would have. Their queue records planned ranges, so each test chooses which node writes which.
/// Posts tagged <see cref="Shared"/> have incompressible images of about a third of a row group, so a spec with 1 MB row
/// groups and shards cuts them into shards of a few rows each.
/// </summary>
public sealed class ShardJobsFixture : PlatformFixture
{
    public const string Shared = "shards_shared";
    public const string Failing = "shards_failing";
    public const int SharedPosts = 14;

    private IHost? _nodeB;

    public RecordingShardQueue Queue { get; } = new();

    public ExportRunner NodeA => Get<ExportRunner>();

    public ExportRunner NodeB => _nodeB!.Services.GetRequiredService<ExportRunner>();

    protected override void Customize(HostApplicationBuilder builder) => builder.Services.AddSingleton<IExportShardQueue>(Queue);

    protected override async Task StartAsync()
    {
        await base.StartAsync();
        _nodeB = BuildHost(Settings, Customize);
        var world = new WriterWorld(this);
        var author = await world.ConsentingAuthorAsync();
        var random = new Random(10);
        for (var i = 0; i < SharedPosts + 8; i++)
        {
            var image = new byte[300 * 1024];
            random.NextBytes(image);
            await world.PostAsync(author, await world.MediaAsync(image), $"post {i}", tags: [i < SharedPosts ? Shared : Failing]);
        }
    }

    protected override ValueTask StopAsync()
    {
        _nodeB?.Dispose();
        return base.StopAsync();
    }

    public async Task<StoredDatasetSpec> NewDatasetAsync(string tag) =>
        (await Get<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec
        {
            Name = $"shards-{Guid.NewGuid():N}"[..20],
            Description = "Shard jobs test dataset.",
            Filters = new DatasetFilters { Tags = [tag] },
            Splits = new DatasetSplits { Train = 1, Validation = 0, Test = 0 },
            ShardSizeMb = 1,
            RowGroupMb = 1,
        }, default)).Value;

    /// <summary>Starts a run as POST /runs does (planned here, its ranges queued) and returns it with its range count.</summary>
    public async Task<(Guid RunId, int Ranges)> StartAsync(StoredDatasetSpec dataset)
    {
        var runId = (await NodeA.StartAsync(dataset.Spec.Name, Actor.System("test"), ExportRunKind.Full, default)).Value;
        var ranges = await Queue.RangesAsync(runId);
        await NodeA.WhenFinishedAsync(runId);
        return (runId, ranges);
    }

    /// <summary>What a Quartz job on node "a" or "b" does with range <paramref name="range"/> of the run.</summary>
    public Task WriteAsync(string node, Guid runId, int range) =>
        (node == "a" ? NodeA : NodeB).WriteShardRangeAsync(runId, range, $"node-{node}", default);

    public async Task<(string Status, string? Output)> RunAsync(Guid runId)
    {
        var status = await ScalarAsync<string>("select status from export.runs where id = $1", runId);
        var output = await ScalarAsync<string>("select output from export.runs where id = $1", runId);
        return (status, Directory.Exists(output) ? output : null);
    }

    public async Task AssertNothingLeftAsync(StoredDatasetSpec dataset, Guid runId, string status)
    {
        Assert.Equal((status, null), await RunAsync(runId));
        Assert.Empty(Directory.GetDirectories(Path.Combine(ExportRoot, dataset.Spec.Name)));
        foreach (var table in new[] { "run_rows", "run_hashes", "run_shards", "run_revocations" })
        {
            Assert.Equal(0, await ScalarAsync<long>($"select count(*) from export.{table} where run_id = $1", runId));
        }

        Assert.Equal(0, await ScalarAsync<long>("select count(*) from export.published_rows where run_id = $1", runId));
    }
}

public sealed class ShardJobsTests(ShardJobsFixture nodes) : IClassFixture<ShardJobsFixture>
{
    [Fact]
    public async Task Ranges_written_by_two_nodes_publish_the_files_one_node_writes_and_the_run_is_finished_once_by_the_last()
    {
        var dataset = await nodes.NewDatasetAsync(ShardJobsFixture.Shared);
        var single = (await nodes.NodeA.RunAsync(dataset.Spec.Name, Actor.System("test"), ExportRunKind.Full, null, null, default)).Value;

        var (runId, ranges) = await nodes.StartAsync(dataset);
        Assert.True(ranges >= 3, $"{ranges} ranges");
        Assert.Equal(("running", null), await nodes.RunAsync(runId));
        // Every range but the last, alternating nodes, in parallel: the run is written but not published.
        await Task.WhenAll(Enumerable.Range(0, ranges - 1).Select(range =>
            Task.Run(() => nodes.WriteAsync(range % 2 == 0 ? "b" : "a", runId, range))));
        Assert.Equal(("running", null), await nodes.RunAsync(runId));
        Assert.Equal(ranges - 1, await nodes.ScalarAsync<long>("select count(*) from export.run_shards where run_id = $1 and state = 'written'", runId));

        await nodes.WriteAsync("b", runId, ranges - 1);
        // A range handed out again (its node died and Quartz recovered the job) finds the run ended and does nothing.
        await nodes.WriteAsync("a", runId, ranges - 1);

        var (status, output) = await nodes.RunAsync(runId);
        Assert.Equal("succeeded", status);
        var manifest = await ExportManifest.ReadAsync(output!, default);
        Assert.Equal(single.Manifest!.Files.Count(f => f.Path.StartsWith("data/", StringComparison.Ordinal)), ranges);
        // The same rows, shards, revocations, croissant.json and card, byte for byte: only the manifest (run id, time) differs.
        Assert.Equal(single.Manifest.Files.Select(f => (f.Path, f.Bytes, f.Sha256)), manifest.Files.Select(f => (f.Path, f.Bytes, f.Sha256)));
        Assert.Equal((single.Manifest.Version, single.Manifest.RowsIncluded), (manifest.Version, manifest.RowsIncluded));
        Assert.Equal(ShardJobsFixture.SharedPosts, manifest.RowsIncluded);
        Assert.Single(await nodes.Get<AuditLog>().ForSubjectAsync("dataset", dataset.Spec.Name, default),
            e => e.Action == "export.run" && e.Detail.GetProperty("runId").GetGuid() == runId);
        Assert.Equal(["node-a", "node-b"], (await nodes.ScalarAsync<string[]>("select shard_nodes from export.runs where id = $1", runId)).Order());
        Assert.Equal(ShardJobsFixture.SharedPosts, await nodes.ScalarAsync<long>(
            "select count(*) from export.published_rows where run_id = $1", runId));
        Assert.Empty(Directory.GetDirectories(Path.Combine(nodes.ExportRoot, dataset.Spec.Name), ".staging-*"));
    }

    [Fact]
    public async Task A_range_that_fails_fails_the_run_and_the_other_ranges_then_do_nothing_and_nothing_is_published()
    {
        var dataset = await nodes.NewDatasetAsync(ShardJobsFixture.Failing);
        var (runId, ranges) = await nodes.StartAsync(dataset);
        Assert.True(ranges >= 2, $"{ranges} ranges");
        // The first row's image is gone once planned: writing range 0 cannot read it.
        var media = await nodes.ScalarAsync<string>("select media_sha256 from export.run_rows where run_id = $1 and split = 'train' and seq = 0", runId);
        await nodes.WriteAsync("b", runId, 1);
        File.Delete(nodes.Get<MediaStore>().PathFor(media));

        await Assert.ThrowsAnyAsync<IOException>(() => nodes.WriteAsync("a", runId, 0));
        foreach (var range in Enumerable.Range(2, ranges - 2))
        {
            await nodes.WriteAsync("b", runId, range);
        }

        await nodes.AssertNothingLeftAsync(dataset, runId, "failed");
        Assert.StartsWith("range 0: ", await nodes.ScalarAsync<string>("select error from export.runs where id = $1", runId));
        Assert.Contains(await nodes.Get<AuditLog>().ForSubjectAsync("dataset", dataset.Spec.Name, default),
            e => e.Action == "export.fail" && e.Detail.GetProperty("runId").GetGuid() == runId);
    }

    [Fact]
    public async Task A_run_cancelled_between_ranges_stops_its_remaining_ranges_and_publishes_nothing()
    {
        var dataset = await nodes.NewDatasetAsync(ShardJobsFixture.Shared);
        var (runId, ranges) = await nodes.StartAsync(dataset);
        await nodes.WriteAsync("a", runId, 0);

        await nodes.NodeB.CancelAsync(runId, Actor.System("canceller"), default);
        foreach (var range in Enumerable.Range(1, ranges - 1))
        {
            await nodes.WriteAsync(range % 2 == 0 ? "a" : "b", runId, range);
        }

        await nodes.AssertNothingLeftAsync(dataset, runId, "cancelled");
        Assert.Contains(await nodes.Get<AuditLog>().ForSubjectAsync("dataset", dataset.Spec.Name, default),
            e => e.Action == "export.cancel" && e.Detail.GetProperty("runId").GetGuid() == runId);
    }
}
