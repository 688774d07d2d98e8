using AiSocial.Ingest.Events;
using AiSocial.Ingest.Posts;
using AiSocial.Testing;
using Npgsql;

namespace AiSocial.Ingest.Tests;

public sealed class EventRollupTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private async Task AddEventsAsync(Guid postId, int views, int[] dwells, int shares, int clicks)
    {
        await platform.Get<EventPartitions>().EnsureAsync(default); // the template database may be older than today
        await platform.ExecuteAsync(
            """
            insert into ingest.events (at, post_id, account_id, type, ms)
            select now(), $1, $1, 1, null from generate_series(1, $2)
            union all select now(), $1, $1, 2, ms from unnest($3::integer[]) ms
            union all select now(), $1, $1, 3, null from generate_series(1, $4)
            union all select now(), $1, $1, 4, null from generate_series(1, $5)
            """, postId, views, dwells, shares, clicks);
    }

    private async Task<(long Views, long Dwells, long DwellMs, long Shares, long Clicks, long Likes)> CountersAsync(Guid postId)
    {
        await using var command = platform.DataSource.CreateCommand(
            "select view_count, dwell_count, dwell_ms_sum, share_count, click_count, like_count from ingest.post_counters where post_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = postId });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync()
            ? (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5))
            : default;
    }

    [Fact]
    public async Task The_rollup_counts_each_event_once_adds_to_existing_counters_and_passes_over_unknown_posts()
    {
        var rollup = platform.Get<EventRollup>();
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id);
        await platform.ExecuteAsync("insert into ingest.post_counters (post_id, like_count, view_count) values ($1, 7, 10)", post.Id);
        var unknown = Guid.NewGuid();
        await AddEventsAsync(post.Id, views: 3, dwells: [100, 300], shares: 1, clicks: 2);
        await AddEventsAsync(unknown, views: 5, dwells: [], shares: 0, clicks: 0);

        await rollup.RunAsync(default);
        var first = await CountersAsync(post.Id);
        await rollup.RunAsync(default); // nothing new: nothing changes
        var again = await CountersAsync(post.Id);
        await AddEventsAsync(post.Id, views: 1, dwells: [50], shares: 0, clicks: 0);
        await rollup.RunAsync(default);

        Assert.Equal((13L, 2L, 400L, 1L, 2L, 7L), first);
        Assert.Equal(first, again);
        Assert.Equal((14L, 3L, 450L, 1L, 2L, 7L), await CountersAsync(post.Id));
        Assert.Equal(0, await platform.ScalarAsync<long>("select count(*) from ingest.post_counters where post_id = $1", unknown));
        Assert.Equal(await platform.ScalarAsync<long>("select max(id) from ingest.events"),
            await platform.ScalarAsync<long>("select last_event_id from ingest.event_rollup"));
    }

    [Fact]
    public async Task A_rollup_that_fails_part_way_moves_neither_watermark_nor_counters_and_the_next_counts_everything_once()
    {
        var rollup = platform.Get<EventRollup>();
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id);
        await rollup.RunAsync(default);
        var watermark = await platform.ScalarAsync<long>("select last_event_id from ingest.event_rollup");
        await AddEventsAsync(post.Id, views: 4, dwells: [1000], shares: 0, clicks: 0);
        // The counters' update fails after the events were read, as a crash between the two would.
        await platform.ExecuteAsync(
            """
            create function pg_temp_fail() returns trigger language plpgsql as $$ begin raise exception 'crash'; end $$;
            create trigger fail_counters before insert or update on ingest.post_counters for each row execute function pg_temp_fail();
            """);

        await Assert.ThrowsAsync<PostgresException>(() => rollup.RunAsync(default));
        var afterCrash = (await platform.ScalarAsync<long>("select last_event_id from ingest.event_rollup"), await CountersAsync(post.Id));
        await platform.ExecuteAsync("drop trigger fail_counters on ingest.post_counters; drop function pg_temp_fail()");
        await rollup.RunAsync(default);

        Assert.Equal((watermark, default((long, long, long, long, long, long))), afterCrash);
        Assert.Equal((4L, 1L, 1000L, 0L, 0L, 0L), await CountersAsync(post.Id));
    }

    [Fact]
    public async Task Idempotency_keys_older_than_a_day_are_purged_and_the_key_can_then_make_a_new_post()
    {
        var author = await platform.CreateAccountAsync();
        var old = await platform.SubmitPostAsync(author.Id, key: "old-key");
        var young = await platform.SubmitPostAsync(author.Id, key: "young-key");
        await platform.ExecuteAsync("update ingest.posts set created_at = now() - interval '25 hours' where id = $1", old.Id);

        var purged = await platform.Get<IdempotencyKeyPurge>().PurgeAsync(default);

        Assert.True(purged >= 1);
        Assert.Equal(DBNull.Value, await platform.ScalarAsync<object>("select idempotency_key from ingest.posts where id = $1", old.Id));
        Assert.Equal("young-key", await platform.ScalarAsync<string>("select idempotency_key from ingest.posts where id = $1", young.Id));
        var reused = await platform.SubmitPostAsync(author.Id, key: "old-key");
        Assert.NotEqual(old.Id, reused.Id);
    }
}
