using AiSocial.Export.Runs;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Posts;
using AiSocial.Testing;

namespace AiSocial.Export.Tests;

/// <summary>A post can narrow its author's consent, never widen it; a deleted post is used for nothing.</summary>
public sealed class PostTrainingSettingTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private async Task<HashSet<string>> ExportedIdsAsync(string dataset)
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("aisocial-post-setting-").FullName, "out");
        Assert.Equal(ExportRunStatus.Succeeded, (await platform.Get<ExportRunner>().RunAsync(dataset, Actor.System("test"), ExportRunKind.Full, output, null, default)).Value.Status);
        var rows = await DuckDb.QueryAsync($"select post_id as id from read_parquet({DuckDb.Literal(Path.Combine(output, "data", "*.parquet"))})");
        return rows.Select(r => r.GetProperty("id").GetString()!).ToHashSet();
    }

    [Fact]
    public async Task A_post_that_opts_out_or_is_deleted_is_left_out_though_its_author_consents()
    {
        var scenario = await ExportScenario.CreateAsync(platform);
        var (optedOut, deleted) = (scenario.ConsentingPublished[0], scenario.ConsentingPublished[1]);
        Assert.Equal(scenario.ConsentingPublished.Select(p => p.Id.ToString()).ToHashSet(), await ExportedIdsAsync(scenario.Dataset));

        await platform.ExecuteAsync("update ingest.posts set allow_training = false where id = $1", optedOut.Id);
        Assert.Null((await platform.Get<PostEditor>().DeleteAsync(scenario.Consenting.Id, deleted.Id, default)).Refusal);

        Assert.Empty(await ExportedIdsAsync(scenario.Dataset));
    }
}
