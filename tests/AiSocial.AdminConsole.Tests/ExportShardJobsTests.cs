using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using AiSocial.AdminConsole.Datasets;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Media;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Quartz;

namespace AiSocial.AdminConsole.Tests;

/// <summary>
/// Two console nodes, each with its own Quartz scheduler instance on the shared clustered store, one database, media
/// store and export root; and eligible posts whose incompressible images make shards of a few rows at 1 MB a shard.
/// </summary>
public sealed class ClusteredExportFixture : ConsoleFixture
{
    public const int Posts = 12;

    protected override int Nodes => 2;

    protected override void Configure(IDictionary<string, string?> settings) => settings["Console:RunScheduler"] = "true";

    protected override async Task StartAsync()
    {
        await base.StartAsync();
        var author = await CreateAccountAsync();
        await Get<ConsentLedger>().RecordAsync(new Actor(author.Id, author.Handle), author.Id,
            new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default);
        var random = new Random(11);
        for (var i = 0; i < Posts; i++)
        {
            var image = new byte[300 * 1024];
            random.NextBytes(image);
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(image));
            var path = Get<MediaStore>().PathFor(sha256);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, image);
            await ExecuteAsync("insert into ingest.media (sha256, content_type, width, height, byte_size) values ($1, 'image/png', 64, 48, $2)",
                sha256, (long)image.Length);
            var post = Guid.CreateVersion7();
            await ExecuteAsync(
                """
                insert into ingest.posts (id, author_id, media_sha256, upload_sha256, prompt, status, created_at, published_at, tags, prompt_visibility)
                values ($1, $2, $3, $3, $4, 'published', now(), now(), '{clustered}', 'public')
                """, post, author.Id, sha256, $"post {i}");
            await ExecuteAsync("insert into moderation.labels (post_id, source, decision, policy_version) values ($1, 'policy', 'approve', 'policy-7')", post);
        }
    }
}

public sealed class ExportShardJobsTests(ClusteredExportFixture cluster) : IClassFixture<ClusteredExportFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private static readonly GroupMatcher<TriggerKey> ShardTriggers = GroupMatcher<TriggerKey>.GroupEquals(ExportShardJob.Group);

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Leaves the cluster as a test found it, however the test ended: range jobs not paused, both schedulers running.</summary>
    public async Task DisposeAsync()
    {
        await ResumeShardJobsAsync();
        foreach (var scheduler in await SchedulersAsync())
        {
            await scheduler.Start();
        }
    }

    /// <summary>A dataset of the fixture's posts at 1 MB a shard: a few shards, each its own range (one job each).</summary>
    private async Task<string> DatasetAsync(string description)
    {
        var name = $"cl-{Guid.NewGuid():N}"[..16];
        await cluster.Get<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec
        {
            Name = name,
            Description = description,
            Purpose = ConsentPurposes.AiTraining,
            Filters = new DatasetFilters { Tags = ["clustered"] },
            Splits = new DatasetSplits { Train = 1, Validation = 0, Test = 0 },
            ShardSizeMb = 1,
            RowGroupMb = 1,
        }, default);
        return name;
    }

    /// <summary>Waits for a condition on the database, checking a few times a second; fails (with a node's output) after <see cref="Patience"/>.</summary>
    private static Task WaitForAsync(Func<Task<bool>> condition, string what, WorkerNode? node = null) =>
        WorkerNode.WaitForAsync(condition, what, Patience, node is null ? [] : [node]);

    private Task<string> StatusAsync(Guid runId) => cluster.ScalarAsync<string>("select status from export.runs where id = $1", runId);

    private async Task<string> EndAsync(Guid runId)
    {
        await WaitForAsync(async () => await StatusAsync(runId) != "running", $"run {runId} to end");
        return await StatusAsync(runId);
    }

    /// <summary>Starts a run whose range jobs wait, paused on the clustered store, until the caller resumes their group.</summary>
    private async Task<Guid> StartPausedAsync(string name)
    {
        var scheduler = await cluster.Get<ISchedulerFactory>().GetScheduler();
        await scheduler.PauseTriggerGroups(ShardTriggers);
        var runId = (await cluster.Get<ExportRunner>().StartAsync(name, Actor.System("test"), ExportRunKind.Full, default)).Value;
        // Planned and queued: one trigger per range, stored paused because their group is.
        await WaitForAsync(async () =>
        {
            var ranges = await cluster.ScalarAsync<long>("select count(distinct range_index) from export.run_shards where run_id = $1", runId);
            return ranges > 1 && await cluster.ScalarAsync<long>(
                "select count(*) from quartz.qrtz_triggers where trigger_group = $1 and job_name like $2 and trigger_state = 'PAUSED'",
                ExportShardJob.Group, $"{runId:N}-%") == ranges;
        }, "the run's ranges to be queued");
        return runId;
    }

    private async Task ResumeShardJobsAsync() => await (await cluster.Get<ISchedulerFactory>().GetScheduler()).ResumeTriggerGroups(ShardTriggers);

    /// <summary>Sessions of this database waiting for a lock while running a statement that contains <paramref name="statement"/>.</summary>
    private Task<long> WaitingAsync(string statement) => cluster.ScalarAsync<long>(
        "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like $1", $"%{statement}%");

    private Task<long> ShardJobsAsync() =>
        cluster.ScalarAsync<long>("select count(*) from quartz.qrtz_job_details where job_group = $1", ExportShardJob.Group);

    /// <summary>The two nodes' schedulers.</summary>
    private async Task<IScheduler[]> SchedulersAsync() =>
        [await cluster.ServicesOf(0).GetRequiredService<ISchedulerFactory>().GetScheduler(),
            await cluster.ServicesOf(1).GetRequiredService<ISchedulerFactory>().GetScheduler()];

    /// <summary>The two nodes' scheduler instance ids, in order.</summary>
    private async Task<string[]> InstancesAsync() => [.. (await SchedulersAsync()).Select(s => s.SchedulerInstanceId).Order(StringComparer.Ordinal)];

    private async Task<HttpClient> EngineerAsync()
    {
        var engineer = cluster.Client();
        engineer.DefaultRequestHeaders.Authorization = new("Bearer",
            (await cluster.Get<AccessTokens>().IssueAsync((await cluster.CreateAccountAsync(Roles.MlEngineer)).Id, default)).Token);
        return engineer;
    }

    [Fact]
    public async Task A_started_run_is_written_by_Quartz_jobs_on_the_clustered_store_and_publishes_what_one_node_publishes()
    {
        var name = await DatasetAsync("written by the cluster");
        var runner = cluster.Get<ExportRunner>();
        var single = (await runner.RunAsync(name, Actor.System("test"), ExportRunKind.Full, null, null, default)).Value;

        var runId = (await runner.StartAsync(name, Actor.System("test"), ExportRunKind.Full, default)).Value;

        Assert.Equal("succeeded", await EndAsync(runId));
        var manifest = await ExportManifest.ReadAsync(await cluster.ScalarAsync<string>("select output from export.runs where id = $1", runId), default);
        Assert.Equal(ClusteredExportFixture.Posts, manifest.RowsIncluded);
        Assert.True(manifest.Files.Count(f => f.Path.StartsWith("data/", StringComparison.Ordinal)) >= 3);
        // Byte for byte what the node that ran it alone published; only the manifest (run id, time) differs.
        Assert.Equal(single.Manifest!.Files.Select(f => (f.Path, f.Sha256)), manifest.Files.Select(f => (f.Path, f.Sha256)));
        // Its shards were written by the schedulers' jobs (nodes named by their instance ids), not by the starting process itself.
        var instances = await InstancesAsync();
        var writers = await cluster.ScalarAsync<string[]>("select shard_nodes from export.runs where id = $1", runId);
        Assert.Equal(instances, await cluster.ScalarAsync<string[]>("select array_agg(instance_name order by instance_name) from quartz.qrtz_scheduler_state"));
        Assert.NotEmpty(writers);
        Assert.All(writers, writer => Assert.Contains(writer, instances));
        // The API names them too, in the order they first wrote.
        using var engineer = await EngineerAsync();
        var run = await engineer.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{name}/runs/{runId}");
        Assert.Equal(writers, run.GetProperty("progress").GetProperty("shardNodes").EnumerateArray().Select(n => n.GetString()!));
        Assert.Single(await cluster.Get<AuditLog>().ForSubjectAsync("dataset", name, default),
            e => e.Action == "export.run" && e.Detail.GetProperty("runId").GetGuid() == runId);
        Assert.Equal(0L, await ShardJobsAsync());
    }

    [Fact]
    public async Task A_run_cancelled_while_a_node_writes_one_of_its_ranges_ends_cancelled_with_nothing_published_or_left()
    {
        var name = await DatasetAsync("cancelled mid-range");
        var runId = await StartPausedAsync(name);
        var output = await cluster.ScalarAsync<string>("select output from export.runs where id = $1", runId);
        var staging = Path.Combine(Path.GetDirectoryName(output)!, $".staging-{runId:N}");
        await using (var blocker = await cluster.DataSource.OpenConnectionAsync())
        {
            // Every range's job stops where it first reads its staged rows, so it is mid-range when the cancel arrives.
            await using var hold = await blocker.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand("lock table export.run_rows in access exclusive mode", blocker, hold))
            {
                await command.ExecuteNonQueryAsync();
            }

            await ResumeShardJobsAsync();
            await WaitForAsync(async () => await WaitingAsync("export.run_rows") > 0, "a range job to be writing");
            Assert.True(await cluster.ScalarAsync<long>(
                "select count(*) from quartz.qrtz_fired_triggers where job_group = $1 and job_name like $2 and state = 'EXECUTING'",
                ExportShardJob.Group, $"{runId:N}-%") > 0);

            // The cancel is asked of a node through the API; the nodes writing learn of it from the database.
            using var engineer = await EngineerAsync();
            using var cancelled = await engineer.PostAsync($"/api/v1/datasets/{name}/runs/{runId}/cancel", null);
            Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
            Assert.True(await cluster.ScalarAsync<bool>("select cancel_requested from export.runs where id = $1", runId));
            await hold.RollbackAsync();
        }

        Assert.Equal("cancelled", await EndAsync(runId));
        // Every range's job ends (each finds the run cancelled), and none leaves files or staged rows behind.
        await WaitForAsync(async () => await ShardJobsAsync() == 0, "the run's range jobs to end");
        Assert.False(Directory.Exists(output), $"{output} was published.");
        Assert.False(Directory.Exists(staging), $"{staging} was left behind.");
        foreach (var table in new[] { "run_rows", "run_hashes", "run_shards", "run_revocations" })
        {
            Assert.Equal(0L, await cluster.ScalarAsync<long>($"select count(*) from export.{table} where run_id = $1", runId));
        }

        var audit = await cluster.Get<AuditLog>().ForSubjectAsync("dataset", name, default);
        Assert.Single(audit, e => e.Action == "export.cancel_request" && e.Detail.GetProperty("runId").GetGuid() == runId);
        Assert.Single(audit, e => e.Action == "export.cancel" && e.Detail.GetProperty("runId").GetGuid() == runId);
        Assert.DoesNotContain(audit, e => e.Action == "export.run" && e.Detail.GetProperty("runId").GetGuid() == runId);
    }

    [Fact]
    public async Task A_range_whose_node_is_killed_midway_is_recovered_by_another_node_and_the_run_publishes_what_one_node_publishes()
    {
        var name = await DatasetAsync("recovered after a node died");
        var single = (await cluster.Get<ExportRunner>().RunAsync(name, Actor.System("test"), ExportRunKind.Full, null, null, default)).Value;
        var schedulers = await SchedulersAsync();
        var survivors = await InstancesAsync();
        Assert.Equal(2, survivors.Distinct().Count());
        var runId = await StartPausedAsync(name);
        var output = await cluster.ScalarAsync<string>("select output from export.runs where id = $1", runId);
        var staging = Path.Combine(Path.GetDirectoryName(output)!, $".staging-{runId:N}");

        // Only the doomed node takes the range jobs: the in-memory nodes stand by (their schedulers acquire nothing).
        foreach (var scheduler in schedulers)
        {
            await scheduler.Standby();
        }

        string doomedInstance;
        await using (var doomed = WorkerNode.Start(cluster, parallelism: 1))
        {
            // Only its own check-in is waited for: whether the standing-by nodes keep checking in meanwhile is Quartz's business.
            const string Joined = "select count(*) from quartz.qrtz_scheduler_state where instance_name <> all($1)";
            await WaitForAsync(async () => await cluster.ScalarAsync<long>(Joined, (object)survivors) == 1, "the doomed node to join", doomed);
            doomedInstance = await cluster.ScalarAsync<string>("select instance_name from quartz.qrtz_scheduler_state where instance_name <> all($1)", (object)survivors);
            await using var blocker = await cluster.DataSource.OpenConnectionAsync();
            await using var hold = await blocker.BeginTransactionAsync();
            // Holding the run's row stops a range as it records its written shards, after it wrote them.
            await using (var command = new NpgsqlCommand("select 1 from export.runs where id = $1 for update", blocker, hold))
            {
                command.Parameters.Add(new() { Value = runId });
                await command.ExecuteScalarAsync();
            }

            await ResumeShardJobsAsync();
            await WaitForAsync(async () => await WaitingAsync("cancel_requested from export.runs where id = $1 for update") > 0,
                "the doomed node to have written a range", doomed);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(staging, "data"), "*.parquet"));
            Assert.True(await cluster.ScalarAsync<long>(
                "select count(*) from quartz.qrtz_fired_triggers where instance_name = $1 and job_group = $2 and state = 'EXECUTING'",
                doomedInstance, ExportShardJob.Group) > 0);

            await doomed.KillAsync();
            await hold.RollbackAsync();
        }

        foreach (var scheduler in schedulers)
        {
            await scheduler.Start();
        }

        // The survivors find the dead node (no check-in) and fire its ranges again; the run then completes and publishes.
        Assert.Equal("succeeded", await EndAsync(runId));
        var manifest = await ExportManifest.ReadAsync(output, default);
        Assert.Equal(ClusteredExportFixture.Posts, manifest.RowsIncluded);
        Assert.Equal(single.Manifest!.Files.Select(f => (f.Path, f.Sha256)), manifest.Files.Select(f => (f.Path, f.Sha256)));
        var writers = await cluster.ScalarAsync<string[]>("select shard_nodes from export.runs where id = $1", runId);
        Assert.NotEmpty(writers);
        Assert.All(writers, writer => Assert.Contains(writer, survivors));
        Assert.False(Directory.Exists(staging), $"{staging} was left behind.");
        await WaitForAsync(async () => await ShardJobsAsync() == 0
            && await cluster.ScalarAsync<long>("select count(*) from quartz.qrtz_scheduler_state where instance_name = $1", doomedInstance) == 0,
            "the dead node's jobs and check-in to be cleared");
    }
}
