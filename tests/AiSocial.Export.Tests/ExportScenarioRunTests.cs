using System.Security.Cryptography;
using AiSocial.Export.Runs;
using AiSocial.Export.Writing;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Problems;
using AiSocial.Testing;

namespace AiSocial.Export.Tests;

public sealed class ExportFixture : PlatformFixture
{
    public ExportScenario Scenario { get; private set; } = null!;

    public ExportRunResult Run { get; private set; } = null!;

    internal ExportManifest Manifest => Run.Manifest!;

    public List<RunProgress> Progress { get; } = [];

    public string Output { get; } = Path.Combine(Directory.CreateTempSubdirectory("aisocial-export-").FullName, "out");

    protected override async Task StartAsync()
    {
        await base.StartAsync();
        Scenario = await ExportScenario.CreateAsync(this);
        Run = (await Get<ExportRunner>().RunAsync(Scenario.Dataset, Actor.System("test"), ExportRunKind.Full, Output,
            new SynchronousProgress<RunProgress>(Progress.Add), default)).Value;
    }
}

/// <summary>Reports on the caller's thread, so a test sees every report before the run returns.</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>A run of a dataset of the scenario's posts into a directory of the caller's choosing, as <c>export run --out</c> does.</summary>
public sealed class ExportScenarioRunTests(ExportFixture export) : IClassFixture<ExportFixture>
{
    private ExportScenario Scenario => export.Scenario;

    private string Shards => DuckDb.Literal(Path.Combine(export.Output, "data", "*.parquet"));

    [Fact]
    public async Task DuckDB_finds_exactly_the_consenting_authors_published_posts()
    {
        var rows = await DuckDb.QueryAsync($"select post_id, prompt, label_decision, label_source, consent_event_id, width, height from read_parquet({Shards}) order by prompt");

        Assert.Equal(Scenario.ConsentingPublished.Select(p => p.Id.ToString()).Order(), rows.Select(r => r.GetProperty("post_id").GetString()).Order());
        Assert.Equal(["first consenting prompt", "second consenting prompt"], rows.Select(r => r.GetProperty("prompt").GetString()));
        Assert.All(rows, r => Assert.Equal(("approve", "human"), (r.GetProperty("label_decision").GetString(), r.GetProperty("label_source").GetString())));
        Assert.All(rows, r => Assert.Equal(Scenario.ConsentingEventId.ToString(), r.GetProperty("consent_event_id").ToString()));
        Assert.Equal((80, 60), (rows[0].GetProperty("width").GetInt32(), rows[0].GetProperty("height").GetInt32()));
    }

    [Fact]
    public async Task The_image_column_is_a_struct_of_the_original_bytes_and_a_path()
    {
        var schema = await DuckDb.QueryAsync($"select column_type from (describe select image from read_parquet({Shards}))");
        var images = await DuckDb.QueryAsync($"select post_id, sha256(image.bytes) as sha256, image.path as path from read_parquet({Shards})");

        Assert.Equal("STRUCT(bytes BLOB, path VARCHAR)", Assert.Single(schema).GetProperty("column_type").GetString());
        foreach (var post in Scenario.ConsentingPublished)
        {
            var row = Assert.Single(images, r => r.GetProperty("post_id").GetString() == post.Id.ToString());
            Assert.Equal(post.Media.Sha256, row.GetProperty("sha256").GetString());
            Assert.StartsWith(post.Media.Sha256, row.GetProperty("path").GetString());
        }
    }

    [Fact]
    public async Task The_file_declares_its_features_for_Hugging_Face()
    {
        var metadata = await DuckDb.QueryAsync($"select decode(value) as value from parquet_kv_metadata({Shards}) where decode(key) = 'huggingface'");

        Assert.Equal(3, metadata.Count); // every shard, the empty ones too
        Assert.All(metadata, shard =>
        {
            var features = System.Text.Json.JsonDocument.Parse(shard.GetProperty("value").GetString()!).RootElement.GetProperty("info").GetProperty("features");
            Assert.Equal("Image", features.GetProperty("image").GetProperty("_type").GetString());
            Assert.Equal("string", features.GetProperty("prompt").GetProperty("dtype").GetString());
        });
    }

    [Fact]
    public async Task The_manifest_counts_every_post_by_why_it_was_left_out_and_names_the_ledger_head()
    {
        var manifest = export.Manifest;

        Assert.Equal(2, manifest.RowsIncluded);
        Assert.Equal(1, manifest.Excluded[ExclusionReasons.ConsentMissing]);
        Assert.Equal(1, manifest.Excluded[ExclusionReasons.ConsentWithdrawn]);
        Assert.True(manifest.Excluded[ExclusionReasons.NotPublished] >= 1);
        Assert.Equal(export.Progress[^1].RowsSeen, manifest.RowsIncluded + manifest.Excluded.Values.Sum());
        Assert.True(manifest.ConsentLedgerHead >= Scenario.ConsentingEventId);
        Assert.Equal(await export.Get<ConsentLedger>().HeadHashAsync(default), manifest.ConsentLedgerHeadHash);
        Assert.Matches("^[0-9a-f]{64}$", manifest.ConsentLedgerHeadHash);
    }

    [Fact]
    public async Task The_manifest_names_each_shard_with_its_size_and_checksum_and_is_published_with_it()
    {
        var manifest = await ExportManifest.ReadAsync(export.Output, default);

        // One shard a split (the spec's 0.8/0.1/0.1), the two rows among them; then the files that describe the run.
        var shards = manifest.Files.Where(f => f.Path.StartsWith("data/", StringComparison.Ordinal)).ToList();
        Assert.Equal(["data/test-00000-of-00001.parquet", "data/train-00000-of-00001.parquet", "data/validation-00000-of-00001.parquet"],
            shards.Select(s => s.Path).Order(StringComparer.Ordinal));
        Assert.Equal(2, shards.Sum(s => s.Rows));
        foreach (var file in manifest.Files)
        {
            var path = Path.Combine(export.Output, file.Path);
            Assert.Equal(new FileInfo(path).Length, file.Bytes);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))), file.Sha256);
        }

        Assert.Equal(export.Run.RunId, manifest.RunId);
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(export.Output)!, ".staging-*"));
    }

    [Fact]
    public async Task The_run_is_recorded_and_audited()
    {
        Assert.Equal("succeeded", await export.ScalarAsync<string>("select status from export.runs where id = $1", export.Run.RunId));
        var audit = Assert.Single(await export.Get<AuditLog>().ForSubjectAsync("dataset", Scenario.Dataset, default), e => e.Action == "export.run");
        Assert.Equal(export.Run.RunId.ToString(), audit.Detail.GetProperty("runId").GetString());
        Assert.Equal(2, audit.Detail.GetProperty("RowsIncluded").GetInt64());
    }

    [Fact]
    public async Task Exporting_into_a_directory_that_is_not_empty_is_refused_and_touches_nothing()
    {
        var runs = await export.ScalarAsync<long>("select count(*) from export.runs");
        var before = Directory.GetFiles(export.Output, "*", SearchOption.AllDirectories).Select(File.ReadAllBytes).ToList();

        var error = await export.Get<ExportRunner>().RunAsync(Scenario.Dataset, Actor.System("test"), ExportRunKind.Full, export.Output, null, default)
            .AssertRefusedAsync();

        Assert.Equal(ExportProblems.ExportTargetExists, error.Problem);
        Assert.Equal(before, Directory.GetFiles(export.Output, "*", SearchOption.AllDirectories).Select(File.ReadAllBytes));
        Assert.Equal(runs, await export.ScalarAsync<long>("select count(*) from export.runs"));
    }

    [Fact]
    public async Task An_unknown_dataset_is_refused_naming_the_ones_that_exist()
    {
        var error = await export.Get<ExportRunner>()
            .RunAsync("no-such-dataset", Actor.System("test"), ExportRunKind.Full, Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString()), null, default)
            .AssertRefusedAsync();

        Assert.Equal(CommonProblems.NotFound, error.Problem);
        Assert.Contains(Scenario.Dataset, error.Detail);
    }

    [Fact]
    public async Task A_run_that_fails_publishes_nothing_and_is_recorded_as_failed()
    {
        var blocker = Path.Combine(Path.GetDirectoryName(export.Output)!, $"a-file-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(blocker, "not a directory");
        var output = Path.Combine(blocker, "out"); // its parent is a file, so staging cannot be created

        await Assert.ThrowsAnyAsync<IOException>(() =>
            export.Get<ExportRunner>().RunAsync(Scenario.Dataset, Actor.System("test"), ExportRunKind.Full, output, null, default));

        Assert.False(Directory.Exists(output));
        Assert.Equal("failed", await export.ScalarAsync<string>(
            "select status from export.runs where output = $1", output));
        Assert.Contains(await export.Get<AuditLog>().ForSubjectAsync("dataset", Scenario.Dataset, default), e => e.Action == "export.fail");
    }

    [Fact]
    public async Task Verify_passes_a_faithful_copy_and_catches_a_changed_or_missing_file()
    {
        var copy = Path.Combine(Directory.CreateTempSubdirectory("aisocial-verify-").FullName, "copy");
        CopyDirectory(export.Output, copy);
        Assert.All(await ExportVerifier.VerifyAsync(copy, default), r => Assert.True(r.Ok, r.Problem));

        var shard = Path.Combine(copy, export.Manifest.Files.First(f => f.Rows > 0).Path);
        var bytes = await File.ReadAllBytesAsync(shard);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(shard, bytes);
        var changed = Assert.Single(await ExportVerifier.VerifyAsync(copy, default), r => !r.Ok);
        Assert.Equal(Path.GetRelativePath(copy, shard).Replace('\\', '/'), changed.Path);
        Assert.Contains("SHA-256", changed.Problem);

        File.Delete(shard);
        Assert.Equal("missing", Assert.Single(await ExportVerifier.VerifyAsync(copy, default), r => !r.Ok).Problem);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
