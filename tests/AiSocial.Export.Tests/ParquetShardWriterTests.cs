using AiSocial.Export.Parquet;
using AiSocial.Testing;

namespace AiSocial.Export.Tests;

public sealed class ParquetShardWriterTests
{
    private static DatasetRow Row(int i) => new(Guid.NewGuid(), $"prompt {i}", i % 2 == 0 ? null : $"caption {i}", TestImages.Png(seed: i),
        $"{i}.png", 64, 48, "approve", "human", i, DateTimeOffset.UtcNow);

    [Fact]
    public async Task Rows_spread_over_shards_named_with_their_final_count_and_all_read_back()
    {
        var staging = Directory.CreateTempSubdirectory("aisocial-shards-").FullName;
        await using var writer = new ParquetShardWriter(staging, "train") { RowGroupBytes = 4_000, ShardBytes = 9_000 };
        for (var i = 0; i < 25; i++)
        {
            await writer.AddAsync(Row(i), default);
        }

        var files = await writer.CompleteAsync(default);

        Assert.True(files.Count > 1);
        Assert.Equal(Enumerable.Range(0, files.Count).Select(i => $"data/train-{i:D5}-of-{files.Count:D5}.parquet"), files.Select(f => f.Path));
        Assert.Equal(25, files.Sum(f => f.Rows));
        var counts = await DuckDb.QueryAsync(
            $"select count(*) as n, count(caption) as captions from read_parquet({DuckDb.Literal(Path.Combine(staging, "data", "*.parquet"))})");
        Assert.Equal(("25", "12"), (counts[0].GetProperty("n").ToString(), counts[0].GetProperty("captions").ToString()));
        foreach (var file in files)
        {
            var rows = await DuckDb.QueryAsync($"select count(*) as n from read_parquet({DuckDb.Literal(Path.Combine(staging, file.Path))})");
            Assert.Equal(file.Rows.ToString(), rows[0].GetProperty("n").ToString());
        }
    }

    [Fact]
    public async Task An_empty_export_is_one_valid_shard_with_no_rows()
    {
        var staging = Directory.CreateTempSubdirectory("aisocial-empty-").FullName;
        await using var writer = new ParquetShardWriter(staging, "train");

        var file = Assert.Single(await writer.CompleteAsync(default));

        var rows = await DuckDb.QueryAsync($"select count(*) as n from read_parquet({DuckDb.Literal(Path.Combine(staging, file.Path))})");
        Assert.Equal("0", rows[0].GetProperty("n").ToString());
        Assert.Equal(0, file.Rows);
    }
}
