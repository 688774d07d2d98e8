using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Media;

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

public sealed class ExportShardJobsTests(ClusteredExportFixture cluster) : IClassFixture<ClusteredExportFixture>
{
    [Fact]
    public async Task A_started_run_is_written_by_Quartz_jobs_on_the_clustered_store_and_publishes_what_one_node_publishes()
    {
        var name = $"cl-{Guid.NewGuid():N}"[..16];
        await cluster.Get<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec
        {
            Name = name,
            Description = "written by the cluster",
            Purpose = ConsentPurposes.AiTraining,
            Filters = new DatasetFilters { Tags = ["clustered"] },
            Splits = new DatasetSplits { Train = 1, Validation = 0, Test = 0 },
            ShardSizeMb = 1,
            RowGroupMb = 1,
        }, default);
        var runner = cluster.Get<ExportRunner>();
        var single = (await runner.RunAsync(name, Actor.System("test"), ExportRunKind.Full, null, null, default)).Value;

        var runId = (await runner.StartAsync(name, Actor.System("test"), ExportRunKind.Full, default)).Value;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        string status;
        while ((status = await cluster.ScalarAsync<string>("select status from export.runs where id = $1", runId)) == "running" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal("succeeded", status);
        var manifest = await ExportManifest.ReadAsync(await cluster.ScalarAsync<string>("select output from export.runs where id = $1", runId), default);
        Assert.Equal(ClusteredExportFixture.Posts, manifest.RowsIncluded);
        Assert.True(manifest.Files.Count(f => f.Path.StartsWith("data/", StringComparison.Ordinal)) >= 3);
        // Byte for byte what the node that ran it alone published; only the manifest (run id, time) differs.
        Assert.Equal(single.Manifest!.Files.Select(f => (f.Path, f.Sha256)), manifest.Files.Select(f => (f.Path, f.Sha256)));
        // Its shards were written by the schedulers' jobs (nodes named by their instance ids), not by the starting process itself.
        var instances = await cluster.ScalarAsync<string[]>("select array_agg(instance_name) from quartz.qrtz_scheduler_state");
        var writers = await cluster.ScalarAsync<string[]>("select shard_nodes from export.runs where id = $1", runId);
        Assert.Equal(2, instances.Length);
        Assert.NotEmpty(writers);
        Assert.All(writers, writer => Assert.Contains(writer, instances));
        // The API names them too, in the order they first wrote.
        using var engineer = cluster.Client();
        engineer.DefaultRequestHeaders.Authorization = new("Bearer",
            (await cluster.Get<AccessTokens>().IssueAsync((await cluster.CreateAccountAsync(Roles.MlEngineer)).Id, default)).Token);
        var run = await engineer.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{name}/runs/{runId}");
        Assert.Equal(writers, run.GetProperty("progress").GetProperty("shardNodes").EnumerateArray().Select(n => n.GetString()!));
        Assert.Single(await cluster.Get<AuditLog>().ForSubjectAsync("dataset", name, default),
            e => e.Action == "export.run" && e.Detail.GetProperty("runId").GetGuid() == runId);
        Assert.Equal(0L, await cluster.ScalarAsync<long>("select count(*) from quartz.qrtz_job_details where job_group = 'export-shards'"));
    }
}
