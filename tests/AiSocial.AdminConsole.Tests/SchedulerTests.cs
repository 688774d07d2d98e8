using AiSocial.Ingest.Posts;

namespace AiSocial.AdminConsole.Tests;

/// <summary>Two console nodes sharing one clustered Quartz job store on the platform's PostgreSQL.</summary>
public sealed class ClusteredConsoleFixture : ConsoleFixture
{
    protected override int Nodes => 2;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Console:RunScheduler"] = "true";
        settings["Moderation:RunScheduledScans"] = "true";
        settings["Moderation:ScanIntervalSeconds"] = "1";
    }
}

public sealed class SchedulerTests(ClusteredConsoleFixture console) : IClassFixture<ClusteredConsoleFixture>
{
    [Fact]
    public async Task The_scan_job_runs_on_the_shared_clustered_store_and_each_post_is_scanned_once()
    {
        var author = await console.CreateAccountAsync();
        var posts = new List<Post>();
        for (var i = 0; i < 12; i++)
        {
            posts.Add(await console.SubmitPostAsync(author.Id));
        }

        var ids = posts.Select(p => p.Id).ToArray();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long queued;
        while ((queued = await console.ScalarAsync<long>("select count(*) from moderation.decisions where post_id = any($1) and mode = 'live'", ids)) < ids.Length
               && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        Assert.Equal(ids.Length, queued);
        Assert.Equal((long)ids.Length, await console.ScalarAsync<long>(
            "select count(*) from ingest.outbox where subject_id = any($1) and attempts = 1 and completed_at is not null", ids));
        Assert.Equal(2L, await console.ScalarAsync<long>("select count(*) from quartz.qrtz_scheduler_state"));
        // Firings may overlap across nodes (that is how more nodes scan more); the outbox's leases keep each post to one.
        Assert.Equal(1L, await console.ScalarAsync<long>(
            "select count(*) from quartz.qrtz_job_details where job_name = $1 and not is_nonconcurrent and requests_recovery", "scan-submitted-posts"));
        Assert.Equal(8L, await console.ScalarAsync<long>("select count(*) from quartz.qrtz_triggers where job_name = $1", "scan-submitted-posts"));
    }
}
