using System.Security.Cryptography;
using System.Text.Json;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Export.Writing;
using AiSocial.Ingest.Audit;
using AiSocial.Problems;
using AiSocial.Testing;

namespace AiSocial.Export.Tests;

/// <summary>The export scenario's posts, and a new dataset for each test so runs of one test never meet another's.</summary>
public class RunnerFixture : PlatformFixture
{
    public ExportScenario Scenario { get; private set; } = null!;

    public ExportRunner Runner => Get<ExportRunner>();

    protected override async Task StartAsync()
    {
        await base.StartAsync();
        Scenario = await ExportScenario.CreateAsync(this);
    }

    public async Task<StoredDatasetSpec> NewDatasetAsync(DatasetSplits? splits = null, string? schedule = null)
    {
        var name = $"run-{Guid.NewGuid():N}"[..20];
        return (await Get<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec
        {
            Name = name,
            Description = "Runner test dataset.",
            // An even split would leave the test's two rows in one or two splits by chance; all in train is predictable.
            Splits = splits ?? new DatasetSplits { Train = 1, Validation = 0, Test = 0 },
            Schedule = schedule,
        }, default)).Value;
    }

    public async Task<ExportRunResult> RunAsync(string dataset, IProgress<RunProgress>? progress = null, ExportRunKind kind = ExportRunKind.Full) =>
        (await Runner.RunAsync(dataset, Actor.System("test"), kind, null, progress, default)).Value;

    public Task<Guid> RunningRunAsync(string dataset) => ScalarAsync<Guid>(
        "select r.id from export.runs r join export.datasets d on d.id = r.dataset_id where d.name = $1 and r.status = 'running'", dataset);
}

public sealed class ExportRunnerTests(RunnerFixture runs) : IClassFixture<RunnerFixture>
{
    private static readonly string[] DescribingFiles = ["README.md", "croissant.json", "revocations.parquet"];

    [Fact]
    public async Task A_run_publishes_shards_revocations_croissant_card_and_manifest_under_the_root_and_records_its_rows()
    {
        var dataset = await runs.NewDatasetAsync();

        var run = await runs.RunAsync(dataset.Spec.Name);

        Assert.Equal(ExportRunStatus.Succeeded, run.Status);
        Assert.Equal(Path.Combine(runs.ExportRoot, dataset.Spec.Name, run.RunId.ToString()), run.Output);
        var manifest = await ExportManifest.ReadAsync(run.Output, default);
        var onDisk = Directory.GetFiles(run.Output, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(run.Output, f).Replace('\\', '/')).Order();
        Assert.Equal(manifest.Files.Select(f => f.Path).Append("manifest.json").Order(), onDisk);
        Assert.Contains("data/train-00000-of-00001.parquet", manifest.Files.Select(f => f.Path));
        Assert.All(DescribingFiles, name => Assert.Contains(name, manifest.Files.Select(f => f.Path)));
        foreach (var file in manifest.Files)
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(run.Output, file.Path));
            Assert.Equal((bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes))), (file.Bytes, file.Sha256));
        }

        Assert.Equal(("1.0.0", "full", 1, 2L), (manifest.Version, manifest.Kind, manifest.SpecVersion, manifest.RowsIncluded));
        Assert.Equal((dataset.Spec with { Salt = null }).ToJson(), manifest.Spec!.ToJson());
        Assert.All(Directory.GetFiles(run.Output, "*", SearchOption.AllDirectories),
            file => Assert.DoesNotContain(dataset.Spec.Salt!, System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(file)), StringComparison.Ordinal));
        Assert.Equal(2, manifest.Splits!["train"]);
        Assert.Empty(Directory.GetDirectories(Path.Combine(runs.ExportRoot, dataset.Spec.Name), ".staging-*"));

        Assert.Equal(("succeeded", "1.0.0", "published", 2L), (await runs.ScalarAsync<string>("select status from export.runs where id = $1", run.RunId),
            await runs.ScalarAsync<string>("select version from export.runs where id = $1", run.RunId),
            await runs.ScalarAsync<string>("select phase from export.runs where id = $1", run.RunId),
            await runs.ScalarAsync<long>("select rows_written from export.runs where id = $1", run.RunId)));
        Assert.Equal(manifest.RowsIncluded + manifest.Excluded.Values.Sum(), await runs.ScalarAsync<long>("select rows_seen from export.runs where id = $1", run.RunId));
        Assert.Equal(2, await runs.ScalarAsync<long>("select count(*) from export.published_rows where run_id = $1 and shard = 'data/train-00000-of-00001.parquet'", run.RunId));
        Assert.Equal(0, await runs.ScalarAsync<long>("select count(*) from export.run_rows where run_id = $1", run.RunId));
        var audit = await runs.Get<AuditLog>().ForSubjectAsync("dataset", dataset.Spec.Name, default);
        Assert.Contains(audit, e => e.Action == "export.start" && e.Detail.GetProperty("runId").GetGuid() == run.RunId);
        Assert.Contains(audit, e => e.Action == "export.run" && e.Detail.GetProperty("runId").GetGuid() == run.RunId);
    }

    [Fact]
    public async Task The_croissant_record_set_has_the_parquet_schema_DuckDB_reads_with_every_required_and_RAI_field()
    {
        var dataset = await runs.NewDatasetAsync(new DatasetSplits { Train = 0.5, Validation = 0.25, Test = 0.25 });
        var run = await runs.RunAsync(dataset.Spec.Name);
        var croissant = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run.Output, "croissant.json"))).RootElement;

        var schema = await DuckDb.QueryAsync($"describe select * from read_parquet({DuckDb.Literal(Path.Combine(run.Output, "data", "*.parquet"))})");
        var recordSets = croissant.GetProperty("recordSet").EnumerateArray().ToList();
        var fields = recordSets.Single(r => r.GetProperty("name").GetString() == "default").GetProperty("field").EnumerateArray()
            .Where(f => f.GetProperty("source").GetProperty("extract").TryGetProperty("column", out _)).ToList();
        Assert.Equal(schema.Select(c => c.GetProperty("column_name").GetString()), fields.Select(f => f.GetProperty("source").GetProperty("extract").GetProperty("column").GetString()));
        Assert.Equal(schema.Select(c => CroissantType(c.GetProperty("column_type").GetString()!)), fields.Select(Described));
        var image = fields.Single(f => f.GetProperty("name").GetString() == "image");
        Assert.Equal("bytes", image.GetProperty("source").GetProperty("transform").GetProperty("jsonPath").GetString());

        foreach (var key in new[]
                 {
                     "@context", "@type", "dct:conformsTo", "name", "description", "license", "url", "creator", "datePublished", "version", "distribution",
                     "recordSet", "prov:wasDerivedFrom", "prov:wasGeneratedBy", "rai:dataCollection", "rai:dataCollectionType", "rai:personalSensitiveInformation",
                     "rai:dataPreprocessingProtocol", "rai:dataReleaseMaintenancePlan", "rai:dataUseCases", "rai:dataLimitations", "rai:dataBiases",
                     "rai:machineAnnotationTools",
                 })
        {
            Assert.True(croissant.TryGetProperty(key, out _), $"croissant.json has no {key}");
        }

        Assert.Equal("sc:Dataset", croissant.GetProperty("@type").GetString());
        Assert.Contains("http://mlcommons.org/croissant/1.1", croissant.GetProperty("dct:conformsTo").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("http://mlcommons.org/croissant/RAI/1.0", croissant.GetProperty("dct:conformsTo").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("User-generated content data", croissant.GetProperty("rai:dataCollectionType").GetString());
        Assert.Equal("1.0.0", croissant.GetProperty("version").GetString());

        var splits = recordSets.Single(r => r.GetProperty("name").GetString() == "splits");
        Assert.Equal("cr:Split", splits.GetProperty("dataType").GetString());
        Assert.Equal(["cr:TrainingSplit", "cr:ValidationSplit", "cr:TestSplit"],
            splits.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("splits/url").GetString()));

        var manifest = await ExportManifest.ReadAsync(run.Output, default);
        var objects = croissant.GetProperty("distribution").EnumerateArray().Where(d => d.GetProperty("@type").GetString() == "cr:FileObject").ToList();
        foreach (var file in manifest.Files.Where(f => f.Path.EndsWith(".parquet", StringComparison.Ordinal)))
        {
            var entry = Assert.Single(objects, o => o.GetProperty("contentUrl").GetString() == file.Path);
            Assert.Equal(file.Sha256, entry.GetProperty("sha256").GetString());
            Assert.Equal($"{file.Bytes} B", entry.GetProperty("contentSize").GetString());
            Assert.Equal("application/x-parquet", entry.GetProperty("encodingFormat").GetString());
        }

        Assert.Equal(["test", "train", "validation"], manifest.Files.Where(f => f.Split is not null).Select(f => f.Split!).Distinct().Order());
    }

    /// <summary>The Croissant description of a column as DuckDB types it: a list is "[]" after its element's, a list of records names each part.</summary>
    private static string CroissantType(string duckDbType) => duckDbType switch
    {
        _ when duckDbType.EndsWith("[]", StringComparison.Ordinal) => $"{CroissantType(duckDbType[..^2])}[]",
        _ when duckDbType.StartsWith("STRUCT(", StringComparison.Ordinal) && duckDbType != "STRUCT(bytes BLOB, path VARCHAR)" =>
            "{" + string.Join(", ", duckDbType["STRUCT(".Length..^1].Split(", ").Select(part => part.Split(' ')).Select(part => $"{part[0].Trim('"')}: {CroissantType(part[1])}")) + "}",
        "VARCHAR" => "sc:Text",
        "INTEGER" or "BIGINT" => "sc:Integer",
        "FLOAT" or "DOUBLE" => "sc:Float",
        "STRUCT(bytes BLOB, path VARCHAR)" => "sc:ImageObject",
        _ when duckDbType.StartsWith("TIMESTAMP", StringComparison.Ordinal) => "sc:DateTime",
        _ => $"unmapped {duckDbType}",
    };

    /// <summary>A croissant.json field in <see cref="CroissantType"/>'s notation, each sub-field read from its column by its own name.</summary>
    private static string Described(JsonElement field)
    {
        var type = field.TryGetProperty("subField", out var parts)
            ? "{" + string.Join(", ", parts.EnumerateArray().Select(part =>
            {
                Assert.Equal(part.GetProperty("name").GetString(), part.GetProperty("source").GetProperty("transform").GetProperty("jsonPath").GetString());
                Assert.Equal(field.GetProperty("name").GetString(), part.GetProperty("source").GetProperty("extract").GetProperty("column").GetString());
                return $"{part.GetProperty("name").GetString()}: {part.GetProperty("dataType").GetString()}";
            })) + "}"
            : field.GetProperty("dataType").GetString()!;
        var repeated = field.TryGetProperty("isArray", out var isArray) && isArray.GetBoolean();
        Assert.Equal(repeated, field.TryGetProperty("repeated", out var old) && old.GetBoolean());
        return repeated ? $"{type}[]" : type;
    }

    [Fact]
    public async Task The_dataset_card_has_a_Hugging_Face_header_with_the_licence_and_each_splits_files_and_every_section()
    {
        var dataset = await runs.NewDatasetAsync(new DatasetSplits { Train = 0.5, Validation = 0.25, Test = 0.25 });
        var run = await runs.RunAsync(dataset.Spec.Name);

        var card = await File.ReadAllTextAsync(Path.Combine(run.Output, "README.md"));

        var header = card.Split("---\n")[1];
        Assert.StartsWith("---\nlicense: cc-by-4.0\n", card);
        Assert.Contains("configs:\n- config_name: default\n  data_files:\n", header);
        foreach (var split in new[] { "train", "validation", "test" })
        {
            Assert.Contains($"  - split: {split}\n    path: data/{split}-*.parquet\n", header);
        }

        var sections = card.Split('\n').Where(l => l.StartsWith("## ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["## Dataset summary", "## Dataset structure", "## Splits", "## Curation", "## Consent and opt-out handling", "## Personal information", "## Limitations"],
            sections);
        Assert.Contains("`consent_missing`: 1", card);
    }

    [Fact]
    public async Task A_rerun_on_unchanged_data_gives_byte_identical_files_except_the_manifest_and_the_same_version()
    {
        var dataset = await runs.NewDatasetAsync(new DatasetSplits { Train = 0.5, Validation = 0.25, Test = 0.25 });

        var first = await ExportManifest.ReadAsync((await runs.RunAsync(dataset.Spec.Name)).Output, default);
        var second = await ExportManifest.ReadAsync((await runs.RunAsync(dataset.Spec.Name)).Output, default);

        Assert.NotEqual(first.RunId, second.RunId);
        Assert.Equal(first.Files, second.Files);
        Assert.Equal(("1.0.0", "1.0.0"), (first.Version, second.Version));
    }

    [Fact]
    public async Task An_incremental_run_after_a_full_one_writes_only_new_rows_and_carries_the_watermark()
    {
        var dataset = await runs.NewDatasetAsync();
        var full = await runs.RunAsync(dataset.Spec.Name);

        var incremental = await runs.RunAsync(dataset.Spec.Name, kind: ExportRunKind.Incremental);

        var manifest = incremental.Manifest!;
        Assert.Equal(("incremental", 0L, "1.0.1"), (manifest.Kind, manifest.RowsIncluded, manifest.Version));
        Assert.Equal(full.Manifest!.SnapshotAt, manifest.Watermark);
        Assert.Equal(full.Manifest.SnapshotAt.UtcDateTime, await runs.ScalarAsync<DateTime>("select watermark from export.runs where id = $1", incremental.RunId));
    }

    [Fact]
    public async Task Two_concurrent_starts_of_one_dataset_run_once_and_the_other_is_refused_naming_the_running_run()
    {
        var dataset = await runs.NewDatasetAsync();
        using var writing = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var progress = new SynchronousProgress<RunProgress>(p =>
        {
            if (p.Phase == "write" && !writing.IsSet)
            {
                writing.Set();
                release.Wait(TimeSpan.FromMinutes(1));
            }
        });

        var starts = new[]
        {
            Task.Run(() => runs.Runner.RunAsync(dataset.Spec.Name, Actor.System("a"), ExportRunKind.Full, null, progress, default)),
            Task.Run(() => runs.Runner.RunAsync(dataset.Spec.Name, Actor.System("b"), ExportRunKind.Full, null, progress, default)),
        };
        var refused = await await Task.WhenAny(starts);
        Assert.True(writing.Wait(TimeSpan.FromMinutes(1)));
        var running = await runs.RunningRunAsync(dataset.Spec.Name);
        var startedMeanwhile = await runs.Runner.StartAsync(dataset.Spec.Name, Actor.System("c"), ExportRunKind.Full, default).AssertRefusedAsync();
        release.Set();
        var ran = (await Task.WhenAll(starts)).Single(o => o.Refusal is null).Value;

        foreach (var refusal in new[] { refused.Refusal!, startedMeanwhile })
        {
            Assert.Equal("export-run-in-progress", refusal.Problem.Code);
            Assert.Equal(409, refusal.Problem.Status);
            Assert.Contains(running.ToString(), refusal.Detail);
            Assert.Equal(running, refusal.Extensions!["runId"]);
        }

        Assert.Equal((running, ExportRunStatus.Succeeded), (ran.RunId, ran.Status));
        Assert.Equal(1, await runs.ScalarAsync<long>(
            "select count(*) from export.runs r join export.datasets d on d.id = r.dataset_id where d.name = $1", dataset.Spec.Name));
    }

    [Fact]
    public async Task A_cancelled_run_publishes_nothing_keeps_no_staged_rows_and_is_recorded_and_audited()
    {
        var dataset = await runs.NewDatasetAsync();
        var progress = new SynchronousProgress<RunProgress>(p =>
        {
            if (p.Phase == "write")
            {
                var runId = runs.RunningRunAsync(dataset.Spec.Name).GetAwaiter().GetResult();
                _ = runs.Runner.CancelAsync(runId, Actor.System("canceller"), default).GetAwaiter().GetResult().Value;
            }
        });

        var run = await runs.RunAsync(dataset.Spec.Name, progress);

        Assert.Equal(ExportRunStatus.Cancelled, run.Status);
        await AssertNothingPublishedAsync(dataset, run.RunId, "cancelled");
        var audit = await runs.Get<AuditLog>().ForSubjectAsync("dataset", dataset.Spec.Name, default);
        Assert.Contains(audit, e => e.Action == "export.cancel_request" && e.Actor == "system:canceller");
        Assert.Contains(audit, e => e.Action == "export.cancel" && e.Detail.GetProperty("runId").GetGuid() == run.RunId);
        Assert.Equal("export-run-not-running", (await runs.Runner.CancelAsync(run.RunId, Actor.System("late"), default).AssertRefusedAsync()).Problem.Code);
    }

    [Fact]
    public async Task A_cancellation_asked_for_on_another_node_is_seen_before_publishing()
    {
        var dataset = await runs.NewDatasetAsync();
        var progress = new SynchronousProgress<RunProgress>(p =>
        {
            if (p.Phase == "write")
            {
                // What CancelAsync on another node does: only the database knows.
                runs.ExecuteAsync("update export.runs set cancel_requested = true where status = 'running' and dataset_id = $1", dataset.DatasetId)
                    .GetAwaiter().GetResult();
            }
        });

        var run = await runs.RunAsync(dataset.Spec.Name, progress);

        Assert.Equal(ExportRunStatus.Cancelled, run.Status);
        await AssertNothingPublishedAsync(dataset, run.RunId, "cancelled");
    }

    [Fact]
    public async Task A_run_that_fails_while_writing_publishes_nothing_and_the_next_run_is_clean()
    {
        var dataset = await runs.NewDatasetAsync();
        var failing = new SynchronousProgress<RunProgress>(p =>
        {
            // The writer reports as it goes ("write") and once done ("written"); either is before anything is published.
            if (p.Phase is "write" or "written" && p.RowsSeen > 0)
            {
                throw new IOException("disk full (simulated)");
            }
        });

        var error = await Assert.ThrowsAsync<IOException>(() => runs.RunAsync(dataset.Spec.Name, failing));
        var failed = await runs.ScalarAsync<Guid>("select id from export.runs where dataset_id = $1", dataset.DatasetId);

        Assert.Equal("disk full (simulated)", error.Message);
        await AssertNothingPublishedAsync(dataset, failed, "failed");
        Assert.Contains(await runs.Get<AuditLog>().ForSubjectAsync("dataset", dataset.Spec.Name, default),
            e => e.Action == "export.fail" && e.Detail.GetProperty("runId").GetGuid() == failed);

        var next = await runs.RunAsync(dataset.Spec.Name);
        Assert.Equal(("1.0.0", 2L), (next.Manifest!.Version, next.Manifest.RowsIncluded));
    }

    [Fact]
    public async Task A_run_killed_midway_is_failed_by_the_next_start_which_deletes_what_it_left_and_starts_clean()
    {
        var dataset = await runs.NewDatasetAsync();
        // What a process that died while writing leaves: a running row with an old heartbeat, its staging directory and staged rows.
        var killed = Guid.CreateVersion7();
        var output = Path.Combine(runs.ExportRoot, dataset.Spec.Name, killed.ToString());
        var staging = Path.Combine(runs.ExportRoot, dataset.Spec.Name, $".staging-{killed:N}");
        Directory.CreateDirectory(Path.Combine(staging, "data"));
        await File.WriteAllTextAsync(Path.Combine(staging, "data", ".train-00000.parquet.partial"), "half a shard");
        await runs.ExecuteAsync(
            """
            insert into export.runs (id, dataset_id, status, requested_by, output, started_at, heartbeat_at, phase, node)
            values ($1, $2, 'running', 'system:test', $3, now() - interval '1 hour', now() - interval '50 minutes', 'write', 'dead-node')
            """, killed, dataset.DatasetId, output);
        await runs.ExecuteAsync("insert into export.run_rows (run_id, row_key, post_id, split, seq) values ($1, 'k', $2, 'train', 0)",
            killed, runs.Scenario.ConsentingPublished[0].Id);
        await runs.ExecuteAsync("insert into export.run_hashes (run_id, position, post_id, sha256) values ($1, 0, $2, '\\x00')",
            killed, runs.Scenario.ConsentingPublished[0].Id);

        var run = await runs.RunAsync(dataset.Spec.Name);

        Assert.Equal(ExportRunStatus.Succeeded, run.Status);
        Assert.Equal("failed", await runs.ScalarAsync<string>("select status from export.runs where id = $1", killed));
        Assert.StartsWith("killed: no heartbeat since", await runs.ScalarAsync<string>("select error from export.runs where id = $1", killed));
        Assert.False(Directory.Exists(staging));
        Assert.False(Directory.Exists(output));
        Assert.Equal(0, await runs.ScalarAsync<long>("select count(*) from export.run_rows where run_id = $1", killed));
        Assert.Equal(0, await runs.ScalarAsync<long>("select count(*) from export.run_hashes where run_id = $1", killed));
        Assert.Equal(2, await runs.ScalarAsync<long>("select count(*) from export.published_rows where dataset_id = $1", dataset.DatasetId));
        Assert.Equal("1.0.0", run.Manifest!.Version);
        Assert.Contains(await runs.Get<AuditLog>().ForSubjectAsync("dataset", dataset.Spec.Name, default),
            e => e.Action == "export.fail" && e.Detail.GetProperty("runId").GetGuid() == killed);
    }

    [Fact]
    public async Task A_running_run_with_a_live_heartbeat_is_not_taken_for_a_killed_one()
    {
        var dataset = await runs.NewDatasetAsync();
        var other = Guid.CreateVersion7();
        await runs.ExecuteAsync(
            "insert into export.runs (id, dataset_id, status, requested_by, output, heartbeat_at, phase, node) values ($1, $2, 'running', 'system:test', '/elsewhere', now(), 'write', 'other-node')",
            other, dataset.DatasetId);

        var refusal = await runs.Runner.RunAsync(dataset.Spec.Name, Actor.System("test"), ExportRunKind.Full, null, null, default).AssertRefusedAsync();

        Assert.Equal("export-run-in-progress", refusal.Problem.Code);
        Assert.Contains(other.ToString(), refusal.Detail);
        Assert.Equal("running", await runs.ScalarAsync<string>("select status from export.runs where id = $1", other));
    }

    [Fact]
    public async Task A_background_start_returns_the_run_id_at_once_and_the_run_saves_its_progress()
    {
        var dataset = await runs.NewDatasetAsync();

        var runId = (await runs.Runner.StartAsync(dataset.Spec.Name, Actor.System("api"), ExportRunKind.Full, default)).Value;
        await runs.Runner.WhenFinishedAsync(runId);

        Assert.Equal("succeeded", await runs.ScalarAsync<string>("select status from export.runs where id = $1", runId));
        var manifest = await ExportManifest.ReadAsync(Path.Combine(runs.ExportRoot, dataset.Spec.Name, runId.ToString()), default);
        Assert.Equal((manifest.RowsIncluded, manifest.Excluded.Values.Sum(), manifest.Files.Sum(f => f.Bytes)),
            (await runs.ScalarAsync<long>("select rows_written from export.runs where id = $1", runId),
                await runs.ScalarAsync<long>("select rows_excluded from export.runs where id = $1", runId),
                await runs.ScalarAsync<long>("select bytes_written from export.runs where id = $1", runId)));
        Assert.Equal("system:api", manifest.RequestedBy);
    }

    [Fact]
    public async Task An_unknown_dataset_is_refused_naming_the_known_ones()
    {
        var known = await runs.NewDatasetAsync();

        var refusal = await runs.Runner.StartAsync("no-such-dataset", Actor.System("test"), ExportRunKind.Full, default).AssertRefusedAsync();

        Assert.Equal(CommonProblems.NotFound, refusal.Problem);
        Assert.Contains(known.Spec.Name, refusal.Detail);
    }

    [Fact]
    public async Task A_scheduled_dataset_is_started_once_its_next_firing_has_passed_and_not_again_until_the_next_one()
    {
        var dataset = await runs.NewDatasetAsync(schedule: "0 0 3 * * ?");
        var created = await runs.ScalarAsync<DateTime>("select updated_at from export.datasets where id = $1", dataset.DatasetId);
        var now = DateTimeOffset.UtcNow.AddHours(1);
        var asked = new List<(string Schedule, DateTimeOffset Since)>();
        // The firing after the spec was saved is due within the hour; the one after a scheduled start is a day later.
        DateTimeOffset? EveryTwoHours(string schedule, DateTimeOffset since)
        {
            asked.Add((schedule, since));
            return schedule == "0 0 3 * * ?" && since.UtcDateTime <= created ? since.AddMinutes(30) : since.AddDays(1);
        }

        var first = Assert.Single(await runs.Get<DatasetSchedules>().StartDueAsync(EveryTwoHours, now, default), s => s.Dataset == dataset.Spec.Name);
        await runs.Runner.WhenFinishedAsync(first.RunId!.Value);
        var second = await runs.Get<DatasetSchedules>().StartDueAsync(EveryTwoHours, now, default);

        Assert.Equal("succeeded", await runs.ScalarAsync<string>("select status from export.runs where id = $1", first.RunId));
        Assert.Equal("system:schedule", await runs.ScalarAsync<string>("select requested_by from export.runs where id = $1", first.RunId));
        Assert.DoesNotContain(second, s => s.Dataset == dataset.Spec.Name);
        // The second check counts from the scheduled start, not from the spec's creation.
        var ours = asked.Where(a => a.Schedule == "0 0 3 * * ?").ToList();
        Assert.True(ours[^1].Since > ours[0].Since);
    }

    [Fact]
    public async Task A_schedule_the_scheduler_cannot_read_starts_nothing_and_says_so()
    {
        var dataset = await runs.NewDatasetAsync(schedule: "0 0 3 * * ? 1999-1998");

        var start = Assert.Single(await runs.Get<DatasetSchedules>().StartDueAsync((_, _) => null, DateTimeOffset.UtcNow, default),
            s => s.Dataset == dataset.Spec.Name);

        Assert.Null(start.RunId);
        Assert.Contains("not a valid Quartz cron expression", start.NotStarted);
        Assert.Equal(0, await runs.ScalarAsync<long>("select count(*) from export.runs where dataset_id = $1", dataset.DatasetId));
    }

    private async Task AssertNothingPublishedAsync(StoredDatasetSpec dataset, Guid runId, string status)
    {
        Assert.Equal(status, await runs.ScalarAsync<string>("select status from export.runs where id = $1", runId));
        var directory = Path.Combine(runs.ExportRoot, dataset.Spec.Name);
        Assert.Empty(Directory.Exists(directory) ? Directory.GetFileSystemEntries(directory) : []);
        Assert.Equal(0, await runs.ScalarAsync<long>("select count(*) from export.run_rows where run_id = $1", runId));
        Assert.Equal(0, await runs.ScalarAsync<long>("select count(*) from export.published_rows where dataset_id = $1", dataset.DatasetId));
    }
}
