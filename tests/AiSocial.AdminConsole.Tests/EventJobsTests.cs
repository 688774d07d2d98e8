using AiSocial.Ingest.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AiSocial.AdminConsole.Tests;

/// <summary>A console node that runs the scheduler with the event rollup and the partition job every second.</summary>
public sealed class EventSchedulingConsole : ConsoleFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Console:RunScheduler"] = "true";
        settings["Events:RollupInterval"] = "00:00:01";
        settings["Events:PartitionInterval"] = "00:00:01";
    }
}

public sealed class EventJobsTests(EventSchedulingConsole console) : IClassFixture<EventSchedulingConsole>
{
    [Fact]
    public async Task The_scheduled_jobs_roll_events_into_post_counters_and_put_back_a_missing_partition()
    {
        var post = await console.SubmitPostAsync((await console.CreateAccountAsync()).Id);
        var ahead = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(console.Get<IOptions<EventOptions>>().Value.PartitionDaysAhead);
        await console.Get<EventPartitions>().EnsureAsync(default);
        await console.ExecuteAsync($"drop table ingest.events_{ahead:yyyyMMdd}");
        await console.ExecuteAsync("insert into ingest.events (at, post_id, account_id, type) select now(), $1, $1, 1 from generate_series(1, 3)", post.Id);

        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline
               && (await console.ScalarAsync<long>("select coalesce(sum(view_count), 0)::bigint from ingest.post_counters where post_id = $1", post.Id) < 3
                   || !(await console.Get<EventPartitions>().ListAsync(default)).Contains(ahead)))
        {
            await Task.Delay(50);
        }

        Assert.Equal(3, await console.ScalarAsync<long>("select view_count from ingest.post_counters where post_id = $1", post.Id));
        // Every module adds the system of record; the writer's loop must still run once, as the channel's single reader.
        Assert.Single(console.Services.GetServices<IHostedService>().OfType<EventWriter>());
        Assert.Contains(ahead, await console.Get<EventPartitions>().ListAsync(default));
    }
}
