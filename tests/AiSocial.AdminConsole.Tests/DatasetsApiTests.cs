using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The datasets API on the console host: ML engineers and admins only; a published run's files with ranges and ETags, nothing else.</summary>
public sealed class DatasetsApiTests(DatasetsConsole console) : IClassFixture<DatasetsConsole>
{
    private string Base => $"/api/v1/datasets/{console.Dataset}";

    private string Files => $"{Base}/runs/{console.Run.RunId}/files";

    private const string Shard = "data/train-00000-of-00001.parquet";

    private string ShardPath => Path.Combine(console.Run.Output, "data", "train-00000-of-00001.parquet");

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task Only_ml_engineers_and_admins_see_datasets_others_are_told_401_or_403()
    {
        await ConsolePagesTests.AssertProblemAsync(await console.Client().GetAsync("/api/v1/datasets"), HttpStatusCode.Unauthorized, "unauthorized");
        await ConsolePagesTests.AssertProblemAsync(await console.Client().GetAsync($"{Files}/{Shard}"), HttpStatusCode.Unauthorized, "unauthorized");
        foreach (var role in new[] { Roles.User, Roles.Moderator })
        {
            var other = await console.ClientAsync(role);
            await ConsolePagesTests.AssertProblemAsync(await other.GetAsync("/api/v1/datasets"), HttpStatusCode.Forbidden, "forbidden");
            await ConsolePagesTests.AssertProblemAsync(await other.GetAsync($"{Files}/{Shard}"), HttpStatusCode.Forbidden, "forbidden");
        }

        foreach (var role in new[] { Roles.MlEngineer, Roles.Admin })
        {
            var datasets = await (await console.ClientAsync(role)).GetFromJsonAsync<JsonElement>("/api/v1/datasets");
            var mine = datasets.EnumerateArray().Single(d => d.GetProperty("name").GetString() == console.Dataset);
            Assert.Equal(console.Run.RunId, mine.GetProperty("latestRun").GetProperty("runId").GetGuid());
            Assert.Equal("succeeded", mine.GetProperty("latestRun").GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task A_run_shows_its_status_progress_and_manifest_and_unknown_names_are_404_problems()
    {
        var engineer = await console.ClientAsync(Roles.MlEngineer);

        var run = await engineer.GetFromJsonAsync<JsonElement>($"{Base}/runs/{console.Run.RunId}");
        var runs = await engineer.GetFromJsonAsync<JsonElement>($"{Base}/runs");

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.True(run.GetProperty("progress").GetProperty("bytesWritten").GetInt64() > 0, "a run that wrote a shard reports its bytes");
        Assert.Equal(console.Run.Manifest!.Files.Select(f => f.Sha256),
            run.GetProperty("manifest").GetProperty("files").EnumerateArray().Select(f => f.GetProperty("sha256").GetString()));
        Assert.Equal(console.Run.RunId, runs[0].GetProperty("runId").GetGuid());
        Assert.False(runs[0].TryGetProperty("manifest", out _)); // a list leaves manifests out
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync($"{Base}/runs/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "export-run-not-found");
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync($"/api/v1/datasets/no-such-set/runs/{console.Run.RunId}"),
            HttpStatusCode.NotFound, "dataset-not-found");
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync("/api/v1/datasets/no-such-set/runs"), HttpStatusCode.NotFound, "dataset-not-found");
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync($"{Files}/data/nothing.parquet"), HttpStatusCode.NotFound, "export-file-not-found");
    }

    [Fact]
    public async Task A_file_is_served_whole_with_its_sha256_as_etag_and_in_ranges_first_bytes_suffix_and_416_past_the_end()
    {
        var engineer = await console.ClientAsync(Roles.MlEngineer);
        var bytes = await File.ReadAllBytesAsync(ShardPath);
        var etag = $"\"{Sha256(bytes)}\"";

        var whole = await engineer.GetAsync($"{Files}/{Shard}");
        using var first = new HttpRequestMessage(HttpMethod.Get, $"{Files}/{Shard}") { Headers = { Range = new RangeHeaderValue(0, 3) } };
        var head = await engineer.SendAsync(first);
        using var last = new HttpRequestMessage(HttpMethod.Get, $"{Files}/{Shard}") { Headers = { Range = new RangeHeaderValue(null, 4) } };
        var tail = await engineer.SendAsync(last);
        using var past = new HttpRequestMessage(HttpMethod.Get, $"{Files}/{Shard}") { Headers = { Range = new RangeHeaderValue(bytes.Length, null) } };
        var beyond = await engineer.SendAsync(past);

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(etag, whole.Headers.ETag!.ToString());
        Assert.Equal("bytes", whole.Headers.AcceptRanges.Single());
        Assert.Equal(bytes, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, head.StatusCode);
        Assert.Equal("PAR1"u8.ToArray(), await head.Content.ReadAsByteArrayAsync());
        Assert.Equal($"bytes 0-3/{bytes.Length}", head.Content.Headers.ContentRange!.ToString());
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(bytes[^4..], await tail.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        Assert.Equal($"bytes */{bytes.Length}", beyond.Content.Headers.ContentRange!.ToString());
    }

    [Fact]
    public async Task A_matching_if_none_match_gets_304_and_an_if_range_with_another_etag_gets_the_whole_file()
    {
        var engineer = await console.ClientAsync(Roles.MlEngineer);
        var bytes = await File.ReadAllBytesAsync(ShardPath);
        var etag = new EntityTagHeaderValue($"\"{Sha256(bytes)}\"");

        using var revalidate = new HttpRequestMessage(HttpMethod.Get, $"{Files}/{Shard}") { Headers = { IfNoneMatch = { etag } } };
        var unchanged = await engineer.SendAsync(revalidate);
        using var stale = new HttpRequestMessage(HttpMethod.Get, $"{Files}/{Shard}")
        {
            Headers = { Range = new RangeHeaderValue(10, null), IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue($"\"{new string('0', 64)}\"")) },
        };
        var restarted = await engineer.SendAsync(stale);
        using var fresh = new HttpRequestMessage(HttpMethod.Get, $"{Files}/{Shard}")
        {
            Headers = { Range = new RangeHeaderValue(10, null), IfRange = new RangeConditionHeaderValue(etag) },
        };
        var resumed = await engineer.SendAsync(fresh);

        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, restarted.StatusCode);
        Assert.Equal(bytes, await restarted.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, resumed.StatusCode);
        Assert.Equal(bytes[10..], await resumed.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task The_manifest_itself_is_served_but_no_path_outside_the_manifest_even_inside_the_runs_directory()
    {
        var engineer = await console.ClientAsync(Roles.MlEngineer);
        await File.WriteAllTextAsync(Path.Combine(console.Run.Output, "secret.txt"), "SECRET-NOT-LISTED");
        await File.WriteAllTextAsync(Path.Combine(console.ExportRoot, "outside.txt"), "SECRET-OUTSIDE");

        var manifest = await engineer.GetAsync($"{Files}/manifest.json");

        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        var manifestBytes = await File.ReadAllBytesAsync(Path.Combine(console.Run.Output, "manifest.json"));
        Assert.Equal($"\"{Sha256(manifestBytes)}\"", manifest.Headers.ETag!.ToString());
        foreach (var path in new[] { "secret.txt", "..%2F..%2Foutside.txt", "%2E%2E/%2E%2E/outside.txt", "data%2F..%2Fsecret.txt", "%2Fetc%2Fpasswd",
                     "..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd", "data%5C..%5Csecret.txt" })
        {
            var refused = await engineer.GetAsync($"{Files}/{path}");
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.NotFound, $"{path}: {refused.StatusCode}");
            Assert.DoesNotContain("SECRET-", body);
        }
    }

    [Fact]
    public async Task Revocations_since_a_time_list_only_rows_revoked_after_it_oldest_first_in_pages()
    {
        var dataset = await console.ScalarAsync<Guid>("select id from export.datasets where name = $1", console.Dataset);
        var at = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        foreach (var (key, reason, revokedAt) in new (string, string?, DateTimeOffset?)[]
                 {
                     ("k1", "consent_withdrawn", at), ("k2", "creator_optout", at.AddHours(1)), ("k3", "erasure", at.AddHours(2)), ("k4", null, null),
                 })
        {
            await console.ExecuteAsync(
                """
                insert into export.published_rows (dataset_id, row_key, post_id, run_id, split, shard, published_at, revoked_run_id, revoked_reason, revoked_at)
                values ($1, $2, $3, $4, 'train', 'data/train-00000-of-00001.parquet', $5, case when $6 = '' then null else $4 end, nullif($6, ''),
                        case when $6 = '' then null else $5::timestamptz + ($7 || ' hours')::interval end)
                """, dataset, key, Guid.NewGuid(), console.Run.RunId, at, reason ?? "", revokedAt is null ? "0" : (revokedAt.Value - at).TotalHours.ToString());
        }

        var engineer = await console.ClientAsync(Roles.MlEngineer);
        var since = Uri.EscapeDataString(at.ToString("yyyy-MM-ddTHH:mm:ssZ"));

        var all = await engineer.GetFromJsonAsync<JsonElement>($"{Base}/revocations?since={since}");
        var first = await engineer.GetFromJsonAsync<JsonElement>($"{Base}/revocations?since={since}&limit=1");
        var second = await engineer.GetFromJsonAsync<JsonElement>($"{Base}/revocations?since={since}&limit=1&cursor={first.GetProperty("nextCursor").GetString()}");
        var everything = await engineer.GetFromJsonAsync<JsonElement>($"{Base}/revocations");

        Assert.Equal(["k2", "k3"], all.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("rowKey").GetString()));
        Assert.Equal(["creator_optout", "erasure"], all.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("reason").GetString()));
        Assert.False(all.TryGetProperty("nextCursor", out _));
        Assert.Equal("k2", first.GetProperty("items")[0].GetProperty("rowKey").GetString());
        Assert.Equal("k3", second.GetProperty("items")[0].GetProperty("rowKey").GetString());
        Assert.False(second.TryGetProperty("nextCursor", out _));
        Assert.Equal(3, everything.GetProperty("items").GetArrayLength());
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync($"{Base}/revocations?since=yesterday"), HttpStatusCode.BadRequest, "validation-failed");
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync($"{Base}/revocations?cursor=bm9wZQ"), HttpStatusCode.BadRequest, "invalid-cursor");
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync("/api/v1/datasets/no-such-set/revocations"), HttpStatusCode.NotFound, "dataset-not-found");

        // A run's id stands for its snapshot: what later runs revoked, which a copy of that run must still delete.
        var snapshotAt = await console.ScalarAsync<DateTime>("select snapshot_at from export.runs where id = $1", console.Run.RunId);
        await console.ExecuteAsync(
            """
            insert into export.published_rows (dataset_id, row_key, post_id, run_id, split, shard, published_at, revoked_run_id, revoked_reason, revoked_at)
            values ($1, 'k5', $2, $3, 'train', 'data/train-00000-of-00001.parquet', $4, $3, 'moderation', $4::timestamptz + interval '1 minute')
            """, dataset, Guid.NewGuid(), console.Run.RunId, snapshotAt);
        var sinceRun = await engineer.GetFromJsonAsync<JsonElement>($"{Base}/revocations?since={console.Run.RunId}");
        Assert.Equal(["k5"], sinceRun.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("rowKey").GetString()));
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync($"{Base}/revocations?since={Guid.NewGuid()}"), HttpStatusCode.NotFound, "export-run-not-found");
    }

    [Fact]
    public async Task A_runs_duplicate_clusters_list_the_kept_row_and_its_left_out_copies_in_pages()
    {
        var dataset = await console.ScalarAsync<Guid>("select id from export.datasets where name = $1", console.Dataset);
        // PostgreSQL orders uuids by their bytes, as their text sorts.
        Guid[] kept = [.. Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).OrderBy(g => g.ToString(), StringComparer.Ordinal)];
        Guid[] copies = [.. Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).OrderBy(g => g.ToString(), StringComparer.Ordinal)];
        await console.ExecuteAsync(
            """
            insert into export.run_duplicates (run_id, post_id, kept_post_id)
            values ($1, $2, $5), ($1, $3, $5), ($1, $4, $6), ($1, $7, $8)
            """, console.Run.RunId, copies[0], copies[1], copies[2], kept[0], kept[1], copies[3], kept[2]);
        await console.ExecuteAsync(
            """
            insert into export.published_rows (dataset_id, row_key, post_id, run_id, split, shard, published_at)
            values ($1, 'kept-row-0', $2, $3, 'validation', 'data/validation-00000-of-00001.parquet', now())
            """, dataset, kept[0], console.Run.RunId);
        var engineer = await console.ClientAsync(Roles.MlEngineer);
        var url = $"{Base}/runs/{console.Run.RunId}/duplicates";

        var first = await engineer.GetFromJsonAsync<JsonElement>($"{url}?limit=2");
        var rest = await engineer.GetFromJsonAsync<JsonElement>($"{url}?limit=2&cursor={first.GetProperty("nextCursor").GetString()}");

        Assert.Equal((3L, 4L), (first.GetProperty("clusters").GetInt64(), first.GetProperty("duplicates").GetInt64()));
        var clusters = first.GetProperty("items").EnumerateArray().Concat(rest.GetProperty("items").EnumerateArray()).ToList();
        Assert.Equal(kept, clusters.Select(c => c.GetProperty("keptPostId").GetGuid()));
        Assert.Equal([copies[0], copies[1]], clusters[0].GetProperty("duplicatePostIds").EnumerateArray().Select(c => c.GetGuid()));
        Assert.Equal(("kept-row-0", "validation"), (clusters[0].GetProperty("rowKey").GetString(), clusters[0].GetProperty("split").GetString()));
        Assert.Equal([copies[3]], clusters[2].GetProperty("duplicatePostIds").EnumerateArray().Select(c => c.GetGuid()));
        Assert.False(rest.TryGetProperty("nextCursor", out _));
        Assert.Equal(0, (await engineer.GetFromJsonAsync<JsonElement>($"{Base}/runs/{console.Run.RunId}/duplicates?cursor={kept[2]:N}"))
            .GetProperty("items").GetArrayLength());
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync($"{url}?cursor=nope"), HttpStatusCode.BadRequest, "invalid-cursor");
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync($"{url}?limit=0"), HttpStatusCode.BadRequest, "validation-failed");
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync($"{Base}/runs/{Guid.NewGuid()}/duplicates"), HttpStatusCode.NotFound,
            "export-run-not-found");
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync($"/api/v1/datasets/no-such-set/runs/{console.Run.RunId}/duplicates"),
            HttpStatusCode.NotFound, "dataset-not-found");
        await ConsolePagesTests.AssertProblemAsync(await (await console.ClientAsync(Roles.Moderator)).GetAsync(url), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task A_spec_is_created_validated_edited_as_a_new_version_and_audited_and_a_run_started_from_the_api()
    {
        var engineer = await console.ClientAsync(Roles.MlEngineer);
        var name = $"api-{Guid.NewGuid():N}"[..16];
        var spec = new Dictionary<string, object?>
        {
            ["name"] = name,
            ["description"] = "made by the API",
            ["purpose"] = "cawg.ai_training",
            ["license"] = "CC-BY-4.0",
            ["splits"] = new { train = 0.8, validation = 0.1, test = 0.1 },
            ["shardSizeMb"] = 500,
            ["rowGroupMb"] = 100,
        };

        var broken = await engineer.PostAsJsonAsync("/api/v1/datasets", new Dictionary<string, object?>(spec) { ["splits"] = new { train = 0.5 }, ["shardSizeMb"] = 900 });
        var created = await engineer.PostAsJsonAsync("/api/v1/datasets", spec);
        var edited = await engineer.PutAsJsonAsync($"/api/v1/datasets/{name}", new Dictionary<string, object?>(spec) { ["description"] = "edited" });
        var saltChanged = await engineer.PutAsJsonAsync($"/api/v1/datasets/{name}", new Dictionary<string, object?>(spec) { ["salt"] = new string('x', 20) });
        var started = await engineer.PostAsync($"/api/v1/datasets/{name}/runs", null);

        var invalid = await ConsolePagesTests.AssertProblemAsync(broken, HttpStatusCode.BadRequest, "validation-failed");
        Assert.True(invalid.GetProperty("errors").TryGetProperty("splits", out _));
        Assert.True(invalid.GetProperty("errors").TryGetProperty("shardSizeMb", out _));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // The salt is generated and kept on the server: the API never shows it (with it, author_id could be recomputed).
        Assert.False((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("spec").TryGetProperty("salt", out _));
        Assert.Matches("^[0-9a-f]{32}$", await console.ScalarAsync<string>("select spec ->> 'salt' from export.datasets where name = $1", name));
        var current = await engineer.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{name}");
        Assert.False(current.GetProperty("spec").TryGetProperty("salt", out _));
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal((2, "edited"), (current.GetProperty("specVersion").GetInt32(), current.GetProperty("spec").GetProperty("description").GetString()));
        Assert.Equal([2, 1], current.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.True((await ConsolePagesTests.AssertProblemAsync(saltChanged, HttpStatusCode.BadRequest, "validation-failed"))
            .GetProperty("errors").TryGetProperty("salt", out _));
        Assert.Equal(["dataset.create", "dataset.update"],
            (await console.Get<AuditLog>().ForSubjectAsync("dataset", name, default)).Select(e => e.Action).Where(a => a.StartsWith("dataset.", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var runId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        Assert.Equal(runId, (await engineer.GetFromJsonAsync<JsonElement>($"/api/v1/datasets/{name}/runs/{runId}")).GetProperty("runId").GetGuid());
        await ConsolePagesTests.AssertProblemAsync(await engineer.PostAsync($"/api/v1/datasets/{name}/runs/{console.Run.RunId}/cancel", null),
            HttpStatusCode.NotFound, "export-run-not-found");
        await ConsolePagesTests.AssertProblemAsync(await engineer.GetAsync("/api/v1/datasets/no-such-set"), HttpStatusCode.NotFound, "dataset-not-found");
        await ConsolePagesTests.AssertProblemAsync(await (await console.ClientAsync(Roles.Moderator)).PostAsJsonAsync("/api/v1/datasets", spec),
            HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Cancelling_a_running_run_asks_it_to_stop_and_a_finished_one_is_a_conflict()
    {
        var engineer = await console.ClientAsync(Roles.MlEngineer);
        var running = Guid.CreateVersion7();
        await console.ExecuteAsync(
            """
            insert into export.runs (id, dataset_id, status, requested_by, output, phase, rows_seen, rows_written, rows_excluded, bytes_written)
            select $1, id, 'running', 'test', '/nowhere', 'writing', 120, 100, 20, 4096 from export.datasets where name = $2
            """, running, console.Dataset);

        var progress = await engineer.GetFromJsonAsync<JsonElement>($"{Base}/runs/{running}");
        var cancelled = await engineer.PostAsync($"{Base}/runs/{running}/cancel", null);
        var download = await engineer.GetAsync($"{Base}/runs/{running}/files/manifest.json");
        var finished = await engineer.PostAsync($"{Base}/runs/{console.Run.RunId}/cancel", null);
        var requested = await console.ScalarAsync<bool>("select cancel_requested from export.runs where id = $1", running);
        await console.ExecuteAsync("delete from export.runs where id = $1", running);

        Assert.Equal(("running", "writing", 120L, 100L, 20L, 4096L), (progress.GetProperty("status").GetString(),
            progress.GetProperty("progress").GetProperty("phase").GetString(), progress.GetProperty("progress").GetProperty("rowsSeen").GetInt64(),
            progress.GetProperty("progress").GetProperty("rowsWritten").GetInt64(), progress.GetProperty("progress").GetProperty("rowsExcluded").GetInt64(),
            progress.GetProperty("progress").GetProperty("bytesWritten").GetInt64()));
        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        Assert.True(requested);
        await ConsolePagesTests.AssertProblemAsync(download, HttpStatusCode.Conflict, "export-run-not-published");
        await ConsolePagesTests.AssertProblemAsync(finished, HttpStatusCode.Conflict, "export-run-not-running");
    }
}
