using System.Security.Cryptography;
using System.Text.Json;
using AiSocial.Export.Datasets;
using AiSocial.Export.Parquet;
using AiSocial.Export.Runs;
using AiSocial.Export.Writing;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Creators;
using AiSocial.Testing;

namespace AiSocial.Export.Tests;

/// <summary>
/// A dataset written once and published; then an author withdraws, one is erased, a creator opts out by name, a post is
/// deleted and a new one arrives; then an incremental run and two full runs on the unchanged database.
/// </summary>
public sealed class WriterFixture : PlatformFixture
{
    internal WriterWorld World { get; private set; } = null!;

    internal DatasetSpec Spec { get; private set; } = null!;

    internal WriterWorld.Written First { get; private set; } = null!;

    internal WriterWorld.Written Incremental { get; private set; } = null!;

    internal WriterWorld.Written Full { get; private set; } = null!;

    internal WriterWorld.Written Again { get; private set; } = null!;

    public Guid Scrubbed { get; private set; }

    public Guid Public { get; private set; }

    public Guid[] Hidden { get; private set; } = [];

    public Guid[] Copies { get; private set; } = [];

    public Guid[] NearCopies { get; private set; } = [];

    /// <summary>A picture, the same turned a quarter, and mirrored: the platform hashes each as it was posted.</summary>
    public Guid[] TurnedCopies { get; private set; } = [];

    /// <summary>
    /// Three posts in this order: a picture, one 40 bits from it (not a copy), then one 20 bits from each, which joins
    /// them: the second was a cluster of its own until the third was read.
    /// </summary>
    public Guid[] BridgedCopies { get; private set; } = [];

    public Guid Withdrawn { get; private set; }

    public Guid Erased { get; private set; }

    public Guid OptedOut { get; private set; }

    public Guid Deleted { get; private set; }

    public Guid Vanished { get; } = Guid.CreateVersion7();

    public Guid New { get; private set; }

    protected override async Task StartAsync()
    {
        await base.StartAsync();
        World = new WriterWorld(this);
        var author = await World.ConsentingAuthorAsync();
        var withdrawing = await World.ConsentingAuthorAsync();
        var erased = await World.ConsentingAuthorAsync();
        var creator = await CreateAccountAsync();

        // Real PDQ hashes for a picture and its JPEG re-encoding: submitted (and left pending) so the platform computes them.
        var png = await SubmitPostAsync(author, TestImages.Png(96, 96, seed: 41), "pending original");
        var jpeg = await SubmitPostAsync(author, TestImages.Jpeg(96, 96, seed: 41), "pending copy");
        var upright = TestImages.Png(96, 64, seed: 43);
        var turned = new[] { upright, TestImages.Turned(upright, 1), TestImages.Turned(upright, 0, mirrored: true) };
        var turnedMedia = new List<string>();
        foreach (var image in turned)
        {
            turnedMedia.Add((await SubmitPostAsync(author, image, "pending turned")).Media.Sha256);
        }

        Scrubbed = await World.PostAsync(author, await World.MediaAsync(TestImages.Png(seed: 1)), "a public prompt",
            "mail jane.doe@example.com or call +1 (555) 123-4567, see https://example.com/x?y=1 and ping @jane_doe", ["cat", "art"]);
        Public = Scrubbed;
        Hidden =
        [
            await World.PostAsync(author, await World.MediaAsync(TestImages.Png(seed: 2)), "a private prompt", visibility: "private"),
            await World.PostAsync(author, await World.MediaAsync(TestImages.Png(seed: 3)), "a followers prompt", visibility: "followers"),
        ];
        var copied = await World.MediaAsync(TestImages.Png(seed: 4));
        Copies = [await World.PostAsync(author, copied, "the original"), await World.PostAsync(author, copied, "the same file again")];
        NearCopies = [await World.PostAsync(author, png.Media.Sha256, "png"), await World.PostAsync(author, jpeg.Media.Sha256, "jpeg")];
        foreach (var media in turnedMedia)
        {
            TurnedCopies = [.. TurnedCopies, await World.PostAsync(author, media, "turned")];
        }
        var bridged = Enumerable.Range(0, 32).Select(i => (byte)(i * 37 + 11)).ToArray();
        foreach (var (flipped, seed) in new[] { (0, 10), (40, 11), (20, 12) })
        {
            var pdq = (byte[])bridged.Clone();
            for (var bit = 0; bit < flipped; bit++)
            {
                pdq[bit / 8] ^= (byte)(1 << (bit % 8));
            }

            // The second is staged, then proved a copy: what was scrubbed from its text must not be counted.
            BridgedCopies = [.. BridgedCopies, await World.PostAsync(author, await World.MediaAsync(TestImages.Png(seed: seed), pdq), "bridged",
                seed == 11 ? "write to bridged@example.com or @bridged_copy" : null, tags: ["bridged"])];
        }

        // Recorded as 2 MB each, so a spec of 1 MB shards plans each bridged row a shard of its own.
        await ExecuteAsync("update ingest.media set byte_size = 2097152 where sha256 in (select media_sha256 from ingest.posts where id = any($1))",
            BridgedCopies);

        Withdrawn = await World.PostAsync(withdrawing, await World.MediaAsync(TestImages.Png(seed: 5)), "withdrawn later");
        Erased = await World.PostAsync(erased, await World.MediaAsync(TestImages.Png(seed: 6)), "erased later");
        OptedOut = await World.PostAsync(author, await World.MediaAsync(TestImages.Png(seed: 7)), "in the style of Zed Quill");
        Deleted = await World.PostAsync(author, await World.MediaAsync(TestImages.Png(seed: 8)), "deleted later");

        Spec = await World.DatasetAsync();
        First = await World.WriteAsync(Spec);
        await World.PublishAsync(Spec, First.RunId);
        // A row published for a post that is no longer in the table at all.
        await ExecuteAsync(
            """
            insert into export.published_rows (dataset_id, row_key, post_id, run_id, split, shard, published_at)
            select id, 'vanished', $2, $3, 'train', 'data/train-00000-of-00001.parquet', now() from export.datasets where name = $1
            """, Spec.Name, Vanished, First.RunId);

        await Get<ConsentLedger>().RecordAsync(new Actor(withdrawing, "w"), withdrawing,
            new ConsentChange(ConsentPurposes.AiTraining, false, "2026-11"), ConsentSource.Import, default);
        await ExecuteAsync("update ingest.accounts set erased_at = now() where id = $1", erased);
        await ExecuteAsync(
            """
            insert into ingest.creator_optouts (id, account_id, kind, value, normalized, status, reviewed_by, reviewed_at)
            values ($1, $2, 'name', 'Zed Quill', $3, 'verified', $2, now())
            """, Guid.NewGuid(), creator.Id, CreatorNames.Normalize("Zed Quill"));
        await ExecuteAsync("update ingest.posts set deleted_at = now() where id = $1", Deleted);
        New = await World.PostAsync(author, await World.MediaAsync(TestImages.Png(seed: 9)), "a new post");

        Incremental = await World.WriteAsync(Spec, incremental: true);
        Full = await World.WriteAsync(Spec);
        Again = await World.WriteAsync(Spec);
    }
}

public sealed class DatasetWriterTests(WriterFixture world) : IClassFixture<WriterFixture>
{
    private static readonly (string Name, string Type)[] Schema =
    [
        ("post_id", "VARCHAR"), ("row_key", "VARCHAR"), ("author_id", "VARCHAR"), ("prompt", "VARCHAR"), ("negative_prompt", "VARCHAR"),
        ("caption", "VARCHAR"), ("alt_text", "VARCHAR"), ("tags", "VARCHAR[]"), ("generator", "VARCHAR"), ("seed", "BIGINT"),
        ("width", "INTEGER"), ("height", "INTEGER"), ("image", "STRUCT(bytes BLOB, path VARCHAR)"), ("label_decision", "VARCHAR"),
        ("label_source", "VARCHAR"), ("reviewer_role", "VARCHAR"), ("policy_version", "VARCHAR"),
        ("model_signals", "STRUCT(\"source\" VARCHAR, category VARCHAR, score FLOAT, model_version VARCHAR)[]"),
        ("likes", "BIGINT"), ("comments", "BIGINT"), ("remixes", "BIGINT"), ("views", "BIGINT"), ("median_dwell_ms", "BIGINT"),
        ("consent_event_id", "BIGINT"), ("license", "VARCHAR"), ("created_at", "TIMESTAMP WITH TIME ZONE"),
    ];

    private static async Task<Dictionary<string, JsonElement>> RowsAsync(WriterWorld.Written written) =>
        (await DuckDb.QueryAsync($"select * exclude (image) from read_parquet({WriterWorld.Shards(written)})"))
        .ToDictionary(r => r.GetProperty("post_id").GetString()!);

    [Fact]
    public async Task DuckDB_reads_every_shard_with_every_column_its_type_and_its_Hugging_Face_feature()
    {
        foreach (var file in world.Full.Result.Files)
        {
            var path = DuckDb.Literal(Path.Combine(world.Full.Staging, file.Path));
            var columns = await DuckDb.QueryAsync($"select column_name, column_type from (describe select * from read_parquet({path}))");
            Assert.Equal(Schema, columns.Select(c => (c.GetProperty("column_name").GetString()!, c.GetProperty("column_type").GetString()!)));
            var metadata = await DuckDb.QueryAsync($"select decode(value) as value from parquet_kv_metadata({path}) where decode(key) = 'huggingface'");
            var features = JsonDocument.Parse(Assert.Single(metadata).GetProperty("value").GetString()!).RootElement.GetProperty("info").GetProperty("features");
            Assert.Equal(Schema.Select(c => c.Name), features.EnumerateObject().Select(f => f.Name));
            Assert.Equal("Image", features.GetProperty("image").GetProperty("_type").GetString());
            var count = await DuckDb.QueryAsync($"select count(*) as n from read_parquet({path})");
            Assert.Equal(file.Rows.ToString(), count[0].GetProperty("n").ToString());
            Assert.Matches($"^data/{file.Split}-\\d{{5}}-of-\\d{{5}}\\.parquet$", file.Path);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(world.Full.Staging, file.Path)))), file.Sha256);
        }

        Assert.Equal(world.Full.Result.RowsWritten, world.Full.Result.Files.Sum(f => f.Rows));
        Assert.Equal(DatasetColumns.Names, world.Full.Result.Columns.Select(c => c.Name));
        // Encoded images are stored as they are; every other column chunk is zstd.
        var codecs = await DuckDb.QueryAsync(
            $"select distinct path_in_schema as path, compression from parquet_metadata({WriterWorld.Shards(world.Full)}) order by path");
        Assert.Equal("UNCOMPRESSED", Assert.Single(codecs, c => c.GetProperty("path").GetString() == "image, bytes").GetProperty("compression").GetString());
        Assert.All(codecs.Where(c => c.GetProperty("path").GetString() != "image, bytes"),
            c => Assert.Equal("ZSTD", c.GetProperty("compression").GetString()));
        Assert.Equal("bytes", Assert.Single(world.Full.Result.Columns, c => c.Name == "image").JsonPath);
    }

    [Fact]
    public async Task A_row_carries_its_pseudonymous_author_labels_model_signals_and_engagement()
    {
        var row = (await RowsAsync(world.Full))[world.Public.ToString()];
        var keys = new RowKeys(world.Spec.Salt!);

        Assert.Equal(keys.RowKey(world.Public), row.GetProperty("row_key").GetString());
        Assert.Matches("^[0-9a-f]{32}$", row.GetProperty("row_key").GetString());
        Assert.Matches("^[0-9a-f]{64}$", row.GetProperty("author_id").GetString());
        Assert.Equal(["cat", "art"], row.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(("approve", "policy", "policy-7"), (row.GetProperty("label_decision").GetString(), row.GetProperty("label_source").GetString(),
            row.GetProperty("policy_version").GetString()));
        var signal = Assert.Single(row.GetProperty("model_signals").EnumerateArray());
        Assert.Equal(("nsfw", "sexual", 0.125, "nsfw-2"), (signal.GetProperty("source").GetString(), signal.GetProperty("category").GetString(),
            signal.GetProperty("score").GetDouble(), signal.GetProperty("model_version").GetString()));
        Assert.Equal("0", row.GetProperty("likes").ToString());
        Assert.Equal("CC-BY-4.0", row.GetProperty("license").GetString());
    }

    [Fact]
    public async Task Emails_phones_urls_and_handles_are_replaced_and_counted()
    {
        var caption = (await RowsAsync(world.First))[world.Scrubbed.ToString()].GetProperty("caption").GetString();

        Assert.Equal("mail [email] or call [phone], see [url] and ping [handle]", caption);
        // Counted once each: only in rows that were written (a staged row later proved a copy took its counts with it).
        Assert.All(new[] { TextScrubber.Emails, TextScrubber.Phones, TextScrubber.Urls, TextScrubber.Handles },
            kind => Assert.Equal(1, world.First.Result.Scrubbed[kind]));
    }

    [Fact]
    public async Task A_prompt_is_exported_only_where_its_author_shows_it_to_everyone()
    {
        var rows = await RowsAsync(world.First);

        Assert.Equal("a public prompt", rows[world.Public.ToString()].GetProperty("prompt").GetString());
        Assert.All(world.Hidden, id =>
        {
            Assert.Equal(JsonValueKind.Null, rows[id.ToString()].GetProperty("prompt").ValueKind);
            Assert.Equal(JsonValueKind.Null, rows[id.ToString()].GetProperty("negative_prompt").ValueKind);
            Assert.Equal("alt text", rows[id.ToString()].GetProperty("alt_text").GetString());
        });
    }

    [Fact]
    public async Task A_file_its_near_copy_and_its_turned_or_mirrored_copies_are_each_one_row_the_earliest_post()
    {
        var rows = await RowsAsync(world.First);

        foreach (var cluster in new[] { world.Copies, world.NearCopies, world.TurnedCopies, world.BridgedCopies })
        {
            var earliest = cluster.Min();
            Assert.Contains(earliest.ToString(), rows.Keys);
            Assert.All(cluster.Where(id => id != earliest), id => Assert.DoesNotContain(id.ToString(), rows.Keys));
            foreach (var copy in cluster.Where(id => id != earliest))
            {
                Assert.Equal(earliest, await world.ScalarAsync<Guid>("select kept_post_id from export.run_duplicates where run_id = $1 and post_id = $2",
                    world.First.RunId, copy));
            }
        }

        Assert.Equal(6, await world.ScalarAsync<long>("select count(*) from export.run_duplicates where run_id = $1", world.First.RunId));

        Assert.Equal(6, world.First.Result.DuplicatesCollapsed);
        Assert.Equal(4, world.First.Result.Clusters);
        // The second bridged post was staged as a row of its own until the third joined it to the first.
        Assert.Equal(0, await world.ScalarAsync<long>("select count(*) from export.run_rows where run_id = $1 and post_id = $2",
            world.First.RunId, world.BridgedCopies[1]));
    }

    [Fact]
    public async Task Every_written_row_is_staged_with_its_split_and_final_shard()
    {
        var staged = await world.ScalarAsync<long>("select count(*) from export.run_rows where run_id = $1", world.First.RunId);
        var shards = await DuckDb.QueryAsync($"select post_id, row_key, filename from read_parquet({WriterWorld.Shards(world.First)}, filename = true)");

        Assert.Equal(world.First.Result.RowsWritten, staged);
        foreach (var row in shards)
        {
            var shard = Path.GetRelativePath(world.First.Staging, row.GetProperty("filename").GetString()!).Replace('\\', '/');
            // A staged row's shard is the planned shard whose range of its split holds the row's number.
            Assert.Equal(shard, await world.ScalarAsync<string>(
                """
                select s.path from export.run_rows r
                join export.run_shards s on s.run_id = r.run_id and s.split = r.split and r.seq between s.first_row and s.last_row
                where r.run_id = $1 and r.row_key = $2
                """, world.First.RunId, row.GetProperty("row_key").GetString()!));
            Assert.StartsWith(await world.ScalarAsync<string>("select split from export.run_rows where run_id = $1 and row_key = $2",
                world.First.RunId, row.GetProperty("row_key").GetString()!), Path.GetFileName(shard));
        }
    }

    [Fact]
    public async Task Published_rows_whose_posts_are_now_ineligible_are_revoked_with_the_reason()
    {
        var revoked = new Dictionary<Guid, string>();
        await using (var command = world.DataSource.CreateCommand("select post_id, reason from export.run_revocations where run_id = $1"))
        {
            command.Parameters.Add(new() { Value = world.Incremental.RunId });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                revoked[reader.GetGuid(0)] = reader.GetString(1);
            }
        }

        Assert.Equal(new Dictionary<Guid, string>
        {
            [world.Withdrawn] = RevocationReasons.ConsentWithdrawn,
            [world.Erased] = RevocationReasons.Erasure,
            [world.OptedOut] = RevocationReasons.CreatorOptOut,
            [world.Deleted] = RevocationReasons.Deleted,
            [world.Vanished] = RevocationReasons.Deleted,
        }.OrderBy(r => r.Key), revoked.OrderBy(r => r.Key));
        Assert.Equal(5, world.Incremental.Result.Revoked);
        Assert.Equal(2, world.Incremental.Result.RevokedByReason[RevocationReasons.Deleted]);
    }

    [Fact]
    public async Task An_incremental_run_writes_only_what_was_not_published_yet()
    {
        var rows = await RowsAsync(world.Incremental);

        Assert.Equal([world.New.ToString()], rows.Keys);
        Assert.Equal(1, world.Incremental.Result.RowsWritten);
        Assert.Contains(world.New.ToString(), (await RowsAsync(world.Full)).Keys);
        Assert.DoesNotContain(world.Withdrawn.ToString(), (await RowsAsync(world.Full)).Keys);
    }

    [Fact]
    public void Two_runs_on_an_unchanged_database_write_byte_identical_files()
    {
        Assert.NotEmpty(world.Full.Result.Files);
        Assert.Equal(world.Full.Result.Files.Select(f => (f.Path, f.Sha256, f.Bytes)), world.Again.Result.Files.Select(f => (f.Path, f.Sha256, f.Bytes)));
        Assert.Equal(world.Full.Result.Files.Select(f => File.ReadAllBytes(Path.Combine(world.Full.Staging, f.Path))),
            world.Again.Result.Files.Select(f => File.ReadAllBytes(Path.Combine(world.Again.Staging, f.Path))));
    }

    [Fact]
    public void Progress_is_reported_and_the_peak_memory_measured()
    {
        var last = world.Full.Progress[^1];

        Assert.Equal(world.Full.Result.RowsSeen, last.RowsSeen);
        Assert.Equal(world.Full.Result.RowsWritten, last.RowsWritten);
        Assert.Equal(world.Full.Result.Files.Sum(f => f.Bytes), last.BytesWritten);
        Assert.True(world.Full.Result.PeakRssBytes > 0);
    }
}

public sealed class DatasetFilterTests(WriterFixture world) : IClassFixture<WriterFixture>
{
    private async Task<(WriteResult Result, IReadOnlyList<string> Posts)> WriteAsync(Func<DatasetFilters, DatasetFilters> filters)
    {
        var spec = world.Spec with { Filters = filters(world.Spec.Filters) };
        var written = await world.World.WriteAsync(spec);
        var rows = await DuckDb.QueryAsync($"select post_id from read_parquet({WriterWorld.Shards(written)}) order by post_id");
        return (written.Result, [.. rows.Select(r => r.GetProperty("post_id").GetString()!)]);
    }

    [Fact]
    public async Task Copies_proved_after_their_rows_were_staged_leave_no_shard_behind()
    {
        var spec = world.Spec with
        {
            Filters = world.Spec.Filters with { Tags = ["bridged"] },
            Splits = new DatasetSplits { Train = 1, Validation = 0, Test = 0 },
            ShardSizeMb = 1,
            RowGroupMb = 1,
        };

        var written = await world.World.WriteAsync(spec);

        // The second bridged post stands alone until the third joins it to the first: shards are cut after that.
        Assert.Equal(["data/train-00000-of-00001.parquet"], written.Result.Files.Select(f => f.Path));
        var rows = await DuckDb.QueryAsync($"select post_id from read_parquet({WriterWorld.Shards(written)})");
        Assert.Equal([world.BridgedCopies[0].ToString()], rows.Select(r => r.GetProperty("post_id").GetString()!));
    }

    [Fact]
    public async Task Near_duplicates_compared_a_block_at_a_time_give_the_same_files_and_clusters()
    {
        async Task<string[]> DuplicatesAsync(Guid runId)
        {
            var rows = new List<string>();
            await using var command = world.DataSource.CreateCommand(
                "select post_id, kept_post_id from export.run_duplicates where run_id = $1 order by post_id");
            command.Parameters.Add(new() { Value = runId });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add($"{reader.GetGuid(0)} -> {reader.GetGuid(1)}");
            }

            return [.. rows];
        }

        // Blocks of two posts: almost every copy is in another block than its cluster's first post.
        var whole = await world.World.WriteAsync(world.Spec);
        var blocks = await world.World.WriteAsync(world.Spec, nearDuplicateBlock: 2);

        Assert.True(whole.Result.DuplicatesCollapsed >= 6, $"{whole.Result.DuplicatesCollapsed} copies");
        Assert.Equal(await DuplicatesAsync(whole.RunId), await DuplicatesAsync(blocks.RunId));
        Assert.Equal((whole.Result.RowsWritten, whole.Result.Clusters), (blocks.Result.RowsWritten, blocks.Result.Clusters));
        Assert.Equal(whole.Result.Files.Select(f => (f.Path, f.Sha256)), blocks.Result.Files.Select(f => (f.Path, f.Sha256)));
        // The hashes are gone once the run is planned.
        Assert.Equal(0, await world.ScalarAsync<long>("select count(*) from export.run_hashes where run_id = any($1)", new[] { whole.RunId, blocks.RunId }));
    }

    [Fact]
    public async Task Tags_keep_only_posts_with_any_of_them()
    {
        var (result, posts) = await WriteAsync(f => f with { Tags = ["#CAT", "dog"] });

        Assert.Equal([world.Scrubbed.ToString()], posts);
        Assert.Equal(result.RowsSeen - 1 - result.Excluded.Where(e => e.Key != DatasetWriter.FilterTags).Sum(e => e.Value),
            result.Excluded[DatasetWriter.FilterTags]);
    }

    [Fact]
    public async Task A_date_range_keeps_only_posts_created_in_it()
    {
        var (_, none) = await WriteAsync(f => f with { From = DateTimeOffset.UtcNow.AddDays(1) });
        var (_, before) = await WriteAsync(f => f with { To = DateTimeOffset.UtcNow.AddDays(-1) });
        var (_, all) = await WriteAsync(f => f with { From = DateTimeOffset.UtcNow.AddDays(-1), To = DateTimeOffset.UtcNow.AddDays(1) });

        Assert.Empty(none);
        Assert.Empty(before);
        Assert.Contains(world.Scrubbed.ToString(), all);
    }

    [Fact]
    public async Task A_policy_label_counts_as_confident_as_the_models_were_sure()
    {
        // Each post's highest model score is 0.125: its policy label's confidence is 0.875.
        var (sure, posts) = await WriteAsync(f => f with { MinLabelConfidence = 0.9 });
        var (_, enough) = await WriteAsync(f => f with { MinLabelConfidence = 0.85 });

        Assert.Empty(posts);
        Assert.True(sure.Excluded[DatasetWriter.FilterLabelConfidence] > 0);
        Assert.Contains(world.Scrubbed.ToString(), enough);
    }

    [Fact]
    public async Task Sensitive_posts_go_in_only_when_the_spec_includes_them()
    {
        var author = await world.World.ConsentingAuthorAsync();
        var sensitive = await world.World.PostAsync(author, await world.World.MediaAsync(TestImages.Png(seed: 77)), "sensitive", tags: ["only_sensitive"]);
        await world.ExecuteAsync("update ingest.posts set sensitive = true where id = $1", sensitive);

        var (without, left) = await WriteAsync(f => f with { Tags = ["only_sensitive"] });
        var (_, included) = await WriteAsync(f => f with { Tags = ["only_sensitive"], IncludeSensitive = true });

        Assert.Empty(left);
        Assert.Equal(1, without.Excluded[ExclusionReasons.SensitiveNotAllowed]);
        Assert.Equal([sensitive.ToString()], included);
    }

    [Fact]
    public async Task Only_the_chosen_columns_are_written()
    {
        var written = await world.World.WriteAsync(world.Spec with { Columns = ["post_id", "image", "consent_event_id"] });

        var columns = await DuckDb.QueryAsync($"select column_name from (describe select * from read_parquet({WriterWorld.Shards(written)}))");
        Assert.Equal(["post_id", "image", "consent_event_id"], columns.Select(c => c.GetProperty("column_name").GetString()));
        Assert.Equal(["post_id", "image", "consent_event_id"], written.Result.Columns.Select(c => c.Name));
    }
}
