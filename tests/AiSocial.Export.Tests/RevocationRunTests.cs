using AiSocial.Export.Runs;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Testing;

namespace AiSocial.Export.Tests;

/// <summary>One database for this class: it withdraws and grants consent again, which the other runner tests must not see.</summary>
public sealed class RevocationRunTests(RunnerFixture runs) : IClassFixture<RunnerFixture>
{
    [Fact]
    public async Task A_withdrawal_revokes_the_published_rows_in_the_next_run_a_major_bump_and_granting_again_adds_them_back_as_a_minor_one()
    {
        var dataset = await runs.NewDatasetAsync();
        var author = runs.Scenario.Consenting;
        var first = await runs.RunAsync(dataset.Spec.Name);
        Assert.Equal(("1.0.0", 2L), (first.Manifest!.Version, first.Manifest.RowsIncluded));
        Assert.Empty(await RevocationsAsync(first));

        await runs.Get<ConsentLedger>().RecordAsync(new Actor(author.Id, author.Handle), author.Id,
            new ConsentChange(ConsentPurposes.AiTraining, false, "2026-11"), ConsentSource.Import, default);
        var withdrawn = await runs.RunAsync(dataset.Spec.Name);

        Assert.Equal(("2.0.0", 0L), (withdrawn.Manifest!.Version, withdrawn.Manifest.RowsIncluded));
        Assert.Equal(2, withdrawn.Manifest.Revoked!["consent_withdrawn"]);
        var revoked = await RevocationsAsync(withdrawn);
        Assert.Equal(runs.Scenario.ConsentingPublished.Select(p => p.Id.ToString()).Order(), revoked.Select(r => r.PostId).Order());
        Assert.All(revoked, r => Assert.Equal(("consent_withdrawn", "data/train-00000-of-00001.parquet"), (r.Reason, r.Shard)));
        Assert.Equal(await PublishedKeysAsync(dataset.DatasetId), revoked.Select(r => r.RowKey).Order());
        Assert.Equal(2, await runs.ScalarAsync<long>(
            "select count(*) from export.published_rows where dataset_id = $1 and revoked_run_id = $2 and revoked_reason = 'consent_withdrawn'",
            dataset.DatasetId, withdrawn.RunId));
        var described = await DuckDb.QueryAsync($"describe select * from read_parquet({DuckDb.Literal(Path.Combine(withdrawn.Output, "revocations.parquet"))})");
        Assert.Equal(["row_key", "post_id", "shard", "reason", "revoked_at"], described.Select(c => c.GetProperty("column_name").GetString()));

        await runs.Get<ConsentLedger>().RecordAsync(new Actor(author.Id, author.Handle), author.Id,
            new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default);
        var granted = await runs.RunAsync(dataset.Spec.Name);
        Assert.Equal(("2.1.0", 2L), (granted.Manifest!.Version, granted.Manifest.RowsIncluded));
        Assert.Empty(await RevocationsAsync(granted));

        var unchanged = await runs.RunAsync(dataset.Spec.Name);
        Assert.Equal("2.1.0", unchanged.Manifest!.Version);
        Assert.Equal(granted.Manifest.Files, unchanged.Manifest.Files);
    }

    private sealed record Revoked(string RowKey, string PostId, string Shard, string Reason);

    private static async Task<List<Revoked>> RevocationsAsync(ExportRunResult run) =>
        (await DuckDb.QueryAsync($"select row_key, post_id, shard, reason, revoked_at from read_parquet({DuckDb.Literal(Path.Combine(run.Output, "revocations.parquet"))})"))
        .Select(r => new Revoked(r.GetProperty("row_key").GetString()!, r.GetProperty("post_id").GetString()!, r.GetProperty("shard").GetString()!,
            r.GetProperty("reason").GetString()!))
        .ToList();

    private async Task<IEnumerable<string>> PublishedKeysAsync(Guid datasetId)
    {
        await using var command = runs.DataSource.CreateCommand("select row_key from export.published_rows where dataset_id = $1 order by row_key");
        command.Parameters.Add(new() { Value = datasetId });
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<string>();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }
}
