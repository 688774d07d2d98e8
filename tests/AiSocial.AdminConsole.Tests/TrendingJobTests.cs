namespace AiSocial.AdminConsole.Tests;

/// <summary>A console node that runs the scheduler with the trending ranking every second.</summary>
public sealed class RankingConsole : ConsoleFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Console:RunScheduler"] = "true";
        settings["Timelines:TrendingInterval"] = "00:00:01";
    }
}

public sealed class TrendingJobTests(RankingConsole console) : IClassFixture<RankingConsole>
{
    [Fact]
    public async Task The_scheduled_ranking_writes_trending_snapshots_with_published_posts()
    {
        var post = await console.SubmitPostAsync((await console.CreateAccountAsync()).Id);
        await console.ExecuteAsync("update ingest.posts set status = 'published', published_at = now() where id = $1", post.Id);

        var deadline = DateTime.UtcNow.AddMinutes(2);
        var ranked = false;
        while (!ranked && DateTime.UtcNow < deadline)
        {
            ranked = await console.ScalarAsync<bool>("select exists (select 1 from ingest.trending_posts where post_id = $1)", post.Id);
            if (!ranked)
            {
                await Task.Delay(100);
            }
        }

        Assert.True(ranked, "The trending job did not rank the published post within two minutes.");
    }
}
