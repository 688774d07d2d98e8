using System.Security.Cryptography;
using AiSocial.Export.Parquet;
using AiSocial.Testing;

namespace AiSocial.Export.Tests;

public sealed class SplitShardWriterTests
{
    internal static DatasetRow Row(int i) => new(new Guid(i, 0, 0, new byte[8]), $"key{i}", "author", $"prompt {i}", null, i % 2 == 0 ? null : $"caption {i}", null,
        i % 3 == 0 ? [] : [.. Enumerable.Range(0, i % 3).Select(t => $"tag{t}")], i % 2 == 0 ? "offline-renderer/v1" : null, i % 2 == 0 ? i : null,
        64, 48, TestImages.Png(seed: i), $"{i}.png", "approve", "human", "moderator", "v1",
        i % 4 == 0 ? [] : [new ModelSignal("nsfw", "sexual", 0.25f, "nsfw-1"), new ModelSignal("text", "toxicity", 0.5f * (i % 2), "text-2")],
        i, 2, 0, 10 * i, i % 2 == 0 ? null : 1500, i, "CC-BY-4.0", new DateTimeOffset(2026, 11, 1, 0, 0, i, TimeSpan.Zero));

    [Fact]
    public async Task Rows_spread_over_shards_named_with_their_final_count_with_checksums_computed_while_writing()
    {
        var staging = Directory.CreateTempSubdirectory("aisocial-shards-").FullName;
        var groups = new List<(string Shard, int Rows)>();
        await using var writer = new SplitShardWriter(staging, "train", DatasetColumns.Select(null))
        {
            RowGroupBytes = 4_000,
            ShardBytes = 9_000,
            RowGroupWritten = (shard, rows, _) => { groups.Add((shard, rows.Count)); return Task.CompletedTask; },
        };
        for (var i = 0; i < 25; i++)
        {
            await writer.AddAsync(Row(i), default);
        }

        var files = (await writer.CompleteAsync(default)).Select(f => f.File).ToList();

        Assert.True(files.Count > 1);
        Assert.Equal(Enumerable.Range(0, files.Count).Select(i => $"data/train-{i:D5}-of-{files.Count:D5}.parquet"), files.Select(f => f.Path));
        Assert.Equal(25, files.Sum(f => f.Rows));
        Assert.Equal(25, groups.Sum(g => g.Rows));
        foreach (var file in files)
        {
            var path = Path.Combine(staging, file.Path);
            Assert.Equal(new FileInfo(path).Length, file.Bytes);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))), file.Sha256);
            var rows = await DuckDb.QueryAsync($"select count(*) as n from read_parquet({DuckDb.Literal(path)})");
            Assert.Equal(file.Rows.ToString(), rows[0].GetProperty("n").ToString());
        }
    }

    [Fact]
    public async Task Lists_nulls_and_structs_read_back_in_DuckDB_as_written()
    {
        var staging = Directory.CreateTempSubdirectory("aisocial-columns-").FullName;
        await using (var writer = new SplitShardWriter(staging, "test", DatasetColumns.Select(null)))
        {
            for (var i = 0; i < 8; i++)
            {
                await writer.AddAsync(Row(i), default);
            }

            await writer.CompleteAsync(default);
        }

        var file = DuckDb.Literal(Path.Combine(staging, "data", "test-00000-of-00001.parquet"));
        var rows = await DuckDb.QueryAsync(
            $"""
            select row_key, len(tags) as tags, tags[1] as first_tag, len(model_signals) as signals, model_signals[2].score as score,
                   model_signals[1].model_version as version, seed, median_dwell_ms, caption, epoch(created_at) as created
            from read_parquet({file}) order by views
            """);

        Assert.Equal(8, rows.Count);
        for (var i = 0; i < 8; i++)
        {
            var row = rows[i];
            var expected = Row(i);
            Assert.Equal(expected.RowKey, row.GetProperty("row_key").GetString());
            Assert.Equal(expected.Tags.Count.ToString(), row.GetProperty("tags").ToString());
            Assert.Equal(expected.Tags.FirstOrDefault(), row.GetProperty("first_tag").ValueKind == System.Text.Json.JsonValueKind.Null ? null : row.GetProperty("first_tag").GetString());
            Assert.Equal(expected.ModelSignals.Count.ToString(), row.GetProperty("signals").ToString());
            if (expected.ModelSignals.Count > 0)
            {
                Assert.Equal(expected.ModelSignals[1].Score, (float)row.GetProperty("score").GetDouble());
                Assert.Equal("nsfw-1", row.GetProperty("version").GetString());
            }

            Assert.Equal(expected.Seed?.ToString() ?? "", row.GetProperty("seed").ValueKind == System.Text.Json.JsonValueKind.Null ? "" : row.GetProperty("seed").ToString());
            Assert.Equal(expected.MedianDwellMs?.ToString() ?? "", row.GetProperty("median_dwell_ms").ValueKind == System.Text.Json.JsonValueKind.Null ? "" : row.GetProperty("median_dwell_ms").ToString());
            Assert.Equal(expected.CreatedAt.ToUnixTimeSeconds().ToString(), row.GetProperty("created").ToString());
        }
    }

    [Fact]
    public async Task A_chosen_subset_of_columns_is_written_in_file_order_and_declared_for_Hugging_Face()
    {
        var staging = Directory.CreateTempSubdirectory("aisocial-subset-").FullName;
        await using (var writer = new SplitShardWriter(staging, "train", DatasetColumns.Select(["image", "post_id", "tags"])))
        {
            await writer.AddAsync(Row(1), default);
            await writer.CompleteAsync(default);
        }

        var file = DuckDb.Literal(Path.Combine(staging, "data", "train-00000-of-00001.parquet"));
        var schema = await DuckDb.QueryAsync($"select column_name, column_type from (describe select * from read_parquet({file}))");
        var metadata = await DuckDb.QueryAsync($"select decode(value) as value from parquet_kv_metadata({file}) where decode(key) = 'huggingface'");

        Assert.Equal([("post_id", "VARCHAR"), ("tags", "VARCHAR[]"), ("image", "STRUCT(bytes BLOB, path VARCHAR)")],
            schema.Select(c => (c.GetProperty("column_name").GetString(), c.GetProperty("column_type").GetString())));
        var features = System.Text.Json.JsonDocument.Parse(Assert.Single(metadata).GetProperty("value").GetString()!).RootElement
            .GetProperty("info").GetProperty("features");
        Assert.Equal(["post_id", "tags", "image"], features.EnumerateObject().Select(p => p.Name));
        Assert.Throws<ArgumentException>(() => DatasetColumns.Select(["post_id", "email"]));
    }
}
