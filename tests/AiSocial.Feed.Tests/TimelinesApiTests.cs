using System.Security.Cryptography;
using System.Text.Json;
using AiSocial.Ingest.Timelines;
using NpgsqlTypes;

namespace AiSocial.Feed.Tests;

public sealed class TimelinesApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddHours(-6);

    private sealed record Item(Guid Id, string Reason, string Status, string? Prompt, JsonElement Json);

    private sealed record Page(List<Item> Items, string? NextCursor);

    /// <summary>A post written straight into the tables, so each test sets the times, hashes, tags and states it needs.</summary>
    private async Task<Guid> PostAsync(Guid author, DateTimeOffset? publishedAt, string status = "published", string[]? tags = null, byte[]? pdq = null,
        bool sensitive = false, Guid? remixOf = null, string promptVisibility = "public")
    {
        var id = Guid.CreateVersion7();
        var sha = Convert.ToHexStringLower(SHA256.HashData(id.ToByteArray()));
        await using var batch = feed.DataSource.CreateBatch();
        batch.BatchCommands.Add(new("insert into ingest.media (sha256, content_type, width, height, byte_size, pdq_hash) values ($1, 'image/png', 64, 64, 100, $2)")
        {
            Parameters = { new() { Value = sha }, new() { Value = (object?)pdq ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea } },
        });
        batch.BatchCommands.Add(new(
            """
            insert into ingest.posts (id, author_id, media_sha256, upload_sha256, prompt, status, created_at, published_at, idempotency_key, request_fingerprint,
                                      tags, sensitive, remix_of, prompt_visibility)
            values ($1, $2, $3, $3, 'the prompt ' || $1::text, $4, coalesce($5, now()), $5, $1::text, '\x00', $6, $7, $8, $9)
            """)
        {
            Parameters =
            {
                new() { Value = id }, new() { Value = author }, new() { Value = sha }, new() { Value = status },
                new() { Value = (object?)(status == "published" ? publishedAt ?? DateTimeOffset.UtcNow : null) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new() { Value = tags ?? [] }, new() { Value = sensitive }, new() { Value = (object?)remixOf ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid },
                new() { Value = promptVisibility },
            },
        });
        foreach (var tag in tags ?? [])
        {
            batch.BatchCommands.Add(new("insert into ingest.post_tags (tag, post_id) values ($1, $2)") { Parameters = { new() { Value = tag }, new() { Value = id } } });
        }

        await batch.ExecuteNonQueryAsync();
        return id;
    }

    private Task RelateAsync(string table, Guid from, Guid to) =>
        feed.ExecuteAsync($"insert into ingest.{table} values ($1, $2)", from, to);

    private Task FollowAsync(Guid follower, Guid followee) => RelateAsync("follows", follower, followee);

    private async Task<Page> PageAsync(string url, string? token = null)
    {
        var response = await feed.Client(token).GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {text}");
        var body = JsonDocument.Parse(text).RootElement;
        var items = body.GetProperty("items").EnumerateArray().Select(i => new Item(i.GetProperty("id").GetGuid(), i.GetProperty("reason").GetString()!,
            i.GetProperty("status").GetString()!, i.TryGetProperty("prompt", out var p) ? p.GetString() : null, i.Clone())).ToList();
        var next = body.GetProperty("nextCursor");
        return new Page(items, next.ValueKind == JsonValueKind.Null ? null : next.GetString());
    }

    /// <summary>Every page of a timeline, limit at a time; <paramref name="between"/> runs after each page (to add posts while paging).</summary>
    private async Task<List<Item>> AllAsync(string path, string? token = null, int limit = 3, Func<Task>? between = null)
    {
        var seen = new List<Item>();
        string? cursor = null;
        do
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var page = await PageAsync($"{path}{separator}limit={limit}{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", token);
            Assert.True(page.Items.Count <= limit);
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
            if (between is not null)
            {
                await between();
            }
        }
        while (cursor is not null);

        return seen;
    }

    private static byte[] Pdq(int seed)
    {
        var hash = new byte[32];
        new Random(seed).NextBytes(hash);
        return hash;
    }

    /// <summary>The hash with <paramref name="bits"/> bits flipped from bit <paramref name="from"/> on: that far from it in Hamming distance.</summary>
    private static byte[] Flip(byte[] hash, int bits, int from = 0)
    {
        var flipped = (byte[])hash.Clone();
        for (var i = from; i < from + bits; i++)
        {
            flipped[i / 8] ^= (byte)(1 << (i % 8));
        }

        return flipped;
    }

    [Fact]
    public async Task Home_shows_followed_authors_own_posts_with_pending_marked_and_remixes_of_yours_each_with_its_reason()
    {
        var me = await feed.SignUpAsync();
        var followed = await feed.CreateAccountAsync();
        var stranger = await feed.CreateAccountAsync();
        await FollowAsync(me.Id, followed.Id);

        var mine = await PostAsync(me.Id, Start.AddMinutes(1));
        var minePending = await PostAsync(me.Id, null, status: "pending");
        var theirs = await PostAsync(followed.Id, Start.AddMinutes(2));
        var theirRemixOfMine = await PostAsync(followed.Id, Start.AddMinutes(3), remixOf: mine);
        var strangersRemix = await PostAsync(stranger.Id, Start.AddMinutes(4), remixOf: mine);
        var strangers = await PostAsync(stranger.Id, Start.AddMinutes(5));
        var followedPending = await PostAsync(followed.Id, null, status: "pending");

        var home = await AllAsync("/api/v1/timelines/home", me.Token);

        Assert.Equal([minePending, strangersRemix, theirRemixOfMine, theirs, mine], home.Select(i => i.Id));
        Assert.Equal(["own", "remixOfYours", "remixOfYours", "followed", "own"], home.Select(i => i.Reason));
        Assert.Equal("pending", home[0].Status);
        Assert.All(home.Skip(1), i => Assert.Equal("published", i.Status));
        Assert.DoesNotContain(strangers, home.Select(i => i.Id));
        Assert.DoesNotContain(followedPending, home.Select(i => i.Id));
        await (await feed.Client().GetAsync("/api/v1/timelines/home")).AssertProblemAsync(401, "unauthorized");
    }

    [Fact]
    public async Task Public_tag_and_profile_timelines_say_why_each_item_is_shown()
    {
        var me = await feed.SignUpAsync();
        var author = await feed.CreateAccountAsync();
        var post = await PostAsync(author.Id, DateTimeOffset.UtcNow, tags: ["sunset", "sea"]);
        var mine = await PostAsync(me.Id, DateTimeOffset.UtcNow, tags: ["sunset"]);
        var minePending = await PostAsync(me.Id, null, status: "pending", tags: ["sunset"]);

        var publicTimeline = await AllAsync("/api/v1/timelines/public", me.Token, limit: 100);
        Assert.Equal("public", Assert.Single(publicTimeline, i => i.Id == post).Reason);
        Assert.DoesNotContain(minePending, publicTimeline.Select(i => i.Id));

        var tagged = await AllAsync("/api/v1/timelines/tags/%23SunSet");
        Assert.Equal([mine, post], tagged.Select(i => i.Id));
        Assert.All(tagged, i => Assert.Equal("tag", i.Reason));
        Assert.Equal([post], (await AllAsync("/api/v1/timelines/tags/sea")).Select(i => i.Id));

        var theirs = await AllAsync($"/api/v1/accounts/{author.Handle}/posts", me.Token);
        Assert.Equal(("profile", post), (Assert.Single(theirs).Reason, theirs[0].Id));
        var own = await AllAsync($"/api/v1/accounts/{me.Handle}/posts", me.Token);
        Assert.Equal([minePending, mine], own.Select(i => i.Id));
        Assert.All(own, i => Assert.Equal("own", i.Reason));
        Assert.Equal("pending", own[0].Status);
        Assert.Equal([mine], (await AllAsync($"/api/v1/accounts/{me.Handle}/posts")).Select(i => i.Id));
        await (await feed.Client().GetAsync("/api/v1/accounts/nobody_here_at_all/posts")).AssertProblemAsync(404, "not-found");
    }

    [Fact]
    public async Task A_post_tagged_while_pending_joins_its_tag_timeline_when_published_and_leaves_it_when_deleted()
    {
        var author = await feed.CreateAccountAsync();
        var tag = $"t{Guid.NewGuid():N}"[..20];
        var post = await PostAsync(author.Id, null, status: "pending", tags: [tag]);
        Assert.Empty(await AllAsync($"/api/v1/timelines/tags/{tag}"));

        await feed.ExecuteAsync("update ingest.posts set status = 'published', published_at = now() where id = $1", post);
        Assert.Equal([post], (await AllAsync($"/api/v1/timelines/tags/{tag}")).Select(i => i.Id));

        await feed.ExecuteAsync("update ingest.posts set deleted_at = now() where id = $1", post);
        Assert.Empty(await AllAsync($"/api/v1/timelines/tags/{tag}"));
    }

    [Fact]
    public async Task Paging_neither_skips_nor_repeats_items_while_new_posts_arrive()
    {
        var me = await feed.SignUpAsync();
        var author = await feed.CreateAccountAsync();
        await FollowAsync(me.Id, author.Id);
        var tag = $"p{Guid.NewGuid():N}"[..20];
        var existing = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            existing.Add(await PostAsync(author.Id, Start.AddSeconds(i), tags: [tag]));
        }

        existing.Reverse();
        foreach (var path in new[] { "/api/v1/timelines/home", $"/api/v1/timelines/tags/{tag}", $"/api/v1/accounts/{author.Handle}/posts", "/api/v1/timelines/public" })
        {
            var arrived = new List<Guid>();
            var seen = await AllAsync(path, me.Token, limit: 3,
                between: async () => arrived.Add(await PostAsync(author.Id, DateTimeOffset.UtcNow, tags: [tag])));

            var ids = seen.Select(i => i.Id).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Equal(existing, ids.Where(existing.Contains));
            Assert.DoesNotContain(ids.Skip(3), arrived.Contains);
            existing.InsertRange(0, arrived.AsEnumerable().Reverse());
        }
    }

    [Fact]
    public async Task Blocks_both_ways_mutes_tombstones_and_suspensions_hide_posts_everywhere()
    {
        var me = await feed.SignUpAsync();
        var blocked = await feed.CreateAccountAsync();
        var blocker = await feed.CreateAccountAsync();
        var muted = await feed.CreateAccountAsync();
        var suspended = await feed.CreateAccountAsync();
        var fine = await feed.CreateAccountAsync();
        var tag = $"b{Guid.NewGuid():N}"[..20];
        var posts = new Dictionary<string, Guid>();
        foreach (var (name, account) in new[] { ("blocked", blocked), ("blocker", blocker), ("muted", muted), ("suspended", suspended), ("fine", fine) })
        {
            await FollowAsync(me.Id, account.Id);
            posts[name] = await PostAsync(account.Id, DateTimeOffset.UtcNow, tags: [tag]);
        }

        posts["deleted"] = await PostAsync(fine.Id, DateTimeOffset.UtcNow, tags: [tag]);
        await feed.ExecuteAsync("update ingest.posts set deleted_at = now() where id = $1", posts["deleted"]);
        await RelateAsync("blocks", me.Id, blocked.Id);
        await RelateAsync("blocks", blocker.Id, me.Id);
        await RelateAsync("mutes", me.Id, muted.Id);
        await feed.ExecuteAsync("update ingest.accounts set suspended_at = now(), suspended_reason = 'test' where id = $1", suspended.Id);

        foreach (var path in new[] { "/api/v1/timelines/home", "/api/v1/timelines/public", $"/api/v1/timelines/tags/{tag}" })
        {
            var ids = (await AllAsync(path, me.Token, limit: 100)).Select(i => i.Id).ToList();
            Assert.Contains(posts["fine"], ids);
            Assert.All(new[] { "blocked", "blocker", "muted", "suspended", "deleted" }, name => Assert.DoesNotContain(posts[name], ids));
        }

        // Someone else still sees the muted author; nobody sees the suspended one or the tombstone.
        var anonymous = (await AllAsync($"/api/v1/timelines/tags/{tag}")).Select(i => i.Id).ToList();
        Assert.Equal([posts["muted"], posts["blocker"], posts["blocked"]], anonymous.Where(id => id != posts["fine"]).Reverse().Take(3).Reverse());
        Assert.DoesNotContain(posts["suspended"], anonymous);
        Assert.DoesNotContain(posts["deleted"], anonymous);

        await (await feed.Client(me.Token).GetAsync($"/api/v1/accounts/{blocked.Handle}/posts")).AssertProblemAsync(404, "not-found");
        await (await feed.Client(me.Token).GetAsync($"/api/v1/accounts/{blocker.Handle}/posts")).AssertProblemAsync(404, "not-found");
        await (await feed.Client().GetAsync($"/api/v1/accounts/{suspended.Handle}/posts")).AssertProblemAsync(404, "not-found");
        Assert.Empty(await AllAsync($"/api/v1/accounts/{muted.Handle}/posts", me.Token));
        Assert.Equal([posts["fine"]], (await AllAsync($"/api/v1/accounts/{fine.Handle}/posts", me.Token)).Select(i => i.Id));
    }

    [Fact]
    public async Task Prompts_are_shown_as_their_visibility_allows()
    {
        var follower = await feed.SignUpAsync();
        var other = await feed.SignUpAsync();
        var author = await feed.SignUpAsync();
        await FollowAsync(follower.Id, author.Id);
        var open = await PostAsync(author.Id, Start, promptVisibility: "public");
        var followersOnly = await PostAsync(author.Id, Start.AddSeconds(1), promptVisibility: "followers");
        var secret = await PostAsync(author.Id, Start.AddSeconds(2), promptVisibility: "private");

        async Task<Dictionary<Guid, bool>> PromptsSeenBy(string? token) =>
            (await AllAsync($"/api/v1/accounts/{author.Handle}/posts", token)).ToDictionary(i => i.Id, i => i.Prompt is not null);

        Assert.Equal(new Dictionary<Guid, bool> { [open] = true, [followersOnly] = true, [secret] = true }, await PromptsSeenBy(author.Token));
        Assert.Equal(new Dictionary<Guid, bool> { [open] = true, [followersOnly] = true, [secret] = false }, await PromptsSeenBy(follower.Token));
        Assert.Equal(new Dictionary<Guid, bool> { [open] = true, [followersOnly] = false, [secret] = false }, await PromptsSeenBy(other.Token));
        Assert.Equal(new Dictionary<Guid, bool> { [open] = true, [followersOnly] = false, [secret] = false }, await PromptsSeenBy(null));
    }

    [Fact]
    public async Task Variations_of_one_image_within_a_day_collapse_into_one_item_and_page_cleanly()
    {
        var author = await feed.CreateAccountAsync();
        var other = await feed.CreateAccountAsync();
        var hash = Pdq(1);
        var first = await PostAsync(author.Id, Start, pdq: hash);
        var close = await PostAsync(author.Id, Start.AddHours(1), pdq: Flip(hash, 31));
        var closer = await PostAsync(author.Id, Start.AddHours(2), pdq: Flip(hash, 5));
        var different = await PostAsync(author.Id, Start.AddHours(3), pdq: Flip(hash, 100));
        var tooFar = await PostAsync(author.Id, Start.AddHours(1).AddMinutes(30), pdq: Flip(hash, 32, from: 100));
        var byOther = await PostAsync(other.Id, Start.AddHours(2), pdq: hash);
        var noHash = await PostAsync(author.Id, Start.AddMinutes(10));
        var twoDaysBefore = await PostAsync(author.Id, Start.AddDays(-2), pdq: hash);
        var dayBefore = await PostAsync(author.Id, Start.AddDays(-1).AddMinutes(-1), pdq: Flip(hash, 3));

        var profile = await AllAsync($"/api/v1/accounts/{author.Handle}/posts", limit: 1);

        // first and dayBefore are a day and a minute apart: separate; dayBefore is within a day of twoDaysBefore.
        Assert.Equal([different, tooFar, noHash, first, twoDaysBefore], profile.Select(i => i.Id));
        var collapsed = profile.Single(i => i.Id == first).Json.GetProperty("variations");
        Assert.Equal(2, collapsed.GetProperty("count").GetInt32());
        Assert.Equal([close, closer], collapsed.GetProperty("postIds").EnumerateArray().Select(e => e.GetGuid()));
        Assert.Equal([dayBefore], profile.Single(i => i.Id == twoDaysBefore).Json.GetProperty("variations").GetProperty("postIds")
            .EnumerateArray().Select(e => e.GetGuid()));
        Assert.All(profile.Where(i => i.Id != first && i.Id != twoDaysBefore), i => Assert.False(i.Json.TryGetProperty("variations", out _)));
        Assert.Contains(byOther, (await AllAsync("/api/v1/timelines/public", limit: 100)).Select(i => i.Id));

        // Deleting the post a variation was collapsed into lets the variation stand on its own, where it was published.
        await feed.ExecuteAsync("update ingest.posts set deleted_at = now() where id = $1", twoDaysBefore);
        Assert.Equal([different, tooFar, noHash, first, dayBefore], (await AllAsync($"/api/v1/accounts/{author.Handle}/posts")).Select(i => i.Id));
    }

    [Fact]
    public async Task Trending_ranks_by_score_after_the_job_runs_leaves_out_sensitive_posts_and_pages_through_one_snapshot()
    {
        var author = await feed.CreateAccountAsync();
        var now = DateTimeOffset.UtcNow;
        var liked = await PostAsync(author.Id, now.AddMinutes(-30));
        var quiet = await PostAsync(author.Id, now.AddMinutes(-20));
        var commented = await PostAsync(author.Id, now.AddMinutes(-10));
        var sensitive = await PostAsync(author.Id, now.AddMinutes(-5), sensitive: true);
        var old = await PostAsync(author.Id, now.AddDays(-3));
        await feed.ExecuteAsync(
            """
            insert into ingest.post_counters (post_id, like_count, comment_count, view_count)
            values ($1, 50000, 0, 0), ($2, 0, 20000, 0), ($3, 900000, 900000, 0), ($4, 40000, 0, 0)
            """, liked, commented, sensitive, old);

        await feed.Get<TrendingRanker>().RecomputeAsync(default);
        var first = await PageAsync("/api/v1/timelines/trending?limit=2");
        Assert.Equal([liked, commented], first.Items.Select(i => i.Id));
        Assert.All(first.Items, i => Assert.Equal("trending", i.Reason));

        // A recomputation with new scores does not move the items under a cursor into the earlier snapshot.
        await feed.ExecuteAsync("update ingest.post_counters set like_count = 10000000 where post_id = $1", old);
        await feed.Get<TrendingRanker>().RecomputeAsync(default);
        var rest = await AllAsync($"/api/v1/timelines/trending?cursor={Uri.EscapeDataString(first.NextCursor!)}", limit: 100);
        var ids = rest.Select(i => i.Id).ToList();
        Assert.Equal([old], ids.Where(id => id == old));
        Assert.DoesNotContain(sensitive, ids);
        Assert.DoesNotContain(liked, ids);
        Assert.Contains(quiet, ids);
        Assert.Equal(old, (await PageAsync("/api/v1/timelines/trending?limit=1")).Items.Single().Id);

        // A cursor whose snapshot is gone is refused clearly.
        await feed.ExecuteAsync("delete from ingest.trending_generations where generation < (select max(generation) from ingest.trending_generations)");
        await (await feed.Client().GetAsync($"/api/v1/timelines/trending?cursor={Uri.EscapeDataString(first.NextCursor!)}"))
            .AssertProblemAsync(409, "cursor-expired");
    }

    [Theory]
    [InlineData("/api/v1/timelines/public?limit=101", "validation-failed")]
    [InlineData("/api/v1/timelines/trending?limit=101", "validation-failed")]
    [InlineData("/api/v1/timelines/tags/sea?limit=101", "validation-failed")]
    [InlineData("/api/v1/accounts/someone/posts?limit=101", "validation-failed")]
    [InlineData("/api/v1/timelines/public?limit=0", "validation-failed")]
    [InlineData("/api/v1/timelines/trending?cursor=zzz", "invalid-cursor")]
    [InlineData("/api/v1/timelines/tags/sea?cursor=AgjfSjmZTy-aAaIOBPQfcD2Npjdyd4pKLg", "invalid-cursor")]
    [InlineData("/api/v1/timelines/tags/not-a-tag", "validation-failed")]
    public async Task Bad_paging_parameters_and_tags_are_refused(string url, string code)
    {
        await (await feed.Client().GetAsync(url)).AssertProblemAsync(400, code);
    }

    [Fact]
    public async Task Home_refuses_a_limit_over_100_and_a_cursor_of_another_timeline()
    {
        var me = await feed.SignUpAsync();
        await PostAsync(me.Id, DateTimeOffset.UtcNow);
        await PostAsync(me.Id, DateTimeOffset.UtcNow);
        var publicCursor = (await PageAsync("/api/v1/timelines/public?limit=1")).NextCursor!;

        await (await feed.Client(me.Token).GetAsync("/api/v1/timelines/home?limit=101")).AssertProblemAsync(400, "validation-failed");
        await (await feed.Client(me.Token).GetAsync($"/api/v1/timelines/home?cursor={Uri.EscapeDataString(publicCursor)}"))
            .AssertProblemAsync(400, "invalid-cursor");
    }
}
