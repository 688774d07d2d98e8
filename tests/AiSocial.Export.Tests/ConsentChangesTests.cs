using AiSocial.Export.Runs;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Testing;

namespace AiSocial.Export.Tests;

public sealed class ConsentChangesTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private async Task<HashSet<string>> ExportedIdsAsync(string dataset)
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("aisocial-consent-").FullName, "out");
        Assert.Equal(ExportRunStatus.Succeeded, (await platform.Get<ExportRunner>().RunAsync(dataset, Actor.System("test"), ExportRunKind.Full, output, null, default)).Value.Status);
        var rows = await DuckDb.QueryAsync($"select post_id as id from read_parquet({DuckDb.Literal(Path.Combine(output, "data", "*.parquet"))})");
        return rows.Select(r => r.GetProperty("id").GetString()!).ToHashSet();
    }

    [Fact]
    public async Task Only_the_latest_consent_event_counts_at_export_time()
    {
        var scenario = await ExportScenario.CreateAsync(platform);
        var author = scenario.Consenting;
        var ledger = platform.Get<ConsentLedger>();
        var expected = scenario.ConsentingPublished.Select(p => p.Id.ToString()).ToHashSet();

        Assert.Equal(expected, await ExportedIdsAsync(scenario.Dataset));

        await ledger.RecordAsync(new Actor(author.Id, author.Handle), author.Id, new ConsentChange(ConsentPurposes.AiTraining, false, "2026-11"), ConsentSource.Import, default);
        Assert.Empty(await ExportedIdsAsync(scenario.Dataset));

        await ledger.RecordAsync(new Actor(author.Id, author.Handle), author.Id, new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default);
        Assert.Equal(expected, await ExportedIdsAsync(scenario.Dataset));
    }
}
