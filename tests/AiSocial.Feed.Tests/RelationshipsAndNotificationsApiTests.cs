using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Ingest.Posts;

namespace AiSocial.Feed.Tests;

/// <summary>Follows, blocks, mutes, profiles with their counts, and notifications, through the API.</summary>
public sealed class RelationshipsAndNotificationsApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private static async Task<JsonElement> ProfileAsync(Person viewer, Person of) => await viewer.GetJsonAsync($"/api/v1/accounts/{of.Handle}");

    private static async Task<List<JsonElement>> NotificationsAsync(Person person) =>
        [.. (await person.GetJsonAsync("/api/v1/notifications?limit=100")).GetProperty("items").EnumerateArray()];

    [Fact]
    public async Task Following_is_idempotent_and_shows_in_both_profiles_counts()
    {
        var fan = await feed.PersonAsync();
        var star = await feed.PersonAsync();

        await fan.PostJsonAsync($"/api/v1/accounts/{star.Handle}/follow");
        var again = await fan.PostJsonAsync($"/api/v1/accounts/{star.Handle.ToUpperInvariant()}/follow");

        Assert.True(again.GetProperty("following").GetBoolean());
        Assert.False(again.GetProperty("followedBy").GetBoolean());
        var starProfile = await ProfileAsync(fan, star);
        Assert.Equal(1, starProfile.GetProperty("followerCount").GetInt64());
        Assert.Equal(0, starProfile.GetProperty("followingCount").GetInt64());
        Assert.True(starProfile.GetProperty("following").GetBoolean());
        Assert.Equal(1, (await ProfileAsync(star, fan)).GetProperty("followingCount").GetInt64());
        Assert.True((await ProfileAsync(star, fan)).GetProperty("followedBy").GetBoolean());
        var anonymous = await (await feed.Client().GetAsync($"/api/v1/accounts/{star.Handle}")).JsonAsync(200);
        Assert.Equal(1, anonymous.GetProperty("followerCount").GetInt64());
        Assert.False(anonymous.TryGetProperty("following", out _));

        await fan.DeleteJsonAsync($"/api/v1/accounts/{star.Handle}/follow");
        var undone = await fan.DeleteJsonAsync($"/api/v1/accounts/{star.Handle}/follow");
        Assert.False(undone.GetProperty("following").GetBoolean());
        Assert.Equal(0, (await ProfileAsync(fan, star)).GetProperty("followerCount").GetInt64());
        Assert.Equal(0, (await ProfileAsync(star, fan)).GetProperty("followingCount").GetInt64());
    }

    [Fact]
    public async Task The_profile_counts_published_posts_only()
    {
        var author = await feed.PersonAsync();
        await feed.PublishedPostAsync(author);
        var deleted = await feed.PublishedPostAsync(author);
        await feed.ExecuteAsync("update ingest.posts set deleted_at = now() where id = $1", deleted);
        await feed.SubmitPostAsync(author.Id);

        Assert.Equal(1, (await ProfileAsync(author, author)).GetProperty("postCount").GetInt64());
    }

    [Fact]
    public async Task Concurrent_follows_by_many_accounts_give_the_exact_count()
    {
        var star = await feed.PersonAsync();
        var fans = new List<Person>();
        for (var i = 0; i < 30; i++)
        {
            fans.Add(await feed.PersonAsync());
        }

        // Everyone follows the star while the star follows everyone back: counters of both sides move at once.
        var responses = await Task.WhenAll(fans.SelectMany(f => new[]
        {
            f.Client.PostAsync($"/api/v1/accounts/{star.Handle}/follow", null),
            star.Client.PostAsync($"/api/v1/accounts/{f.Handle}/follow", null),
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var profile = await ProfileAsync(star, star);
        Assert.Equal(30, profile.GetProperty("followerCount").GetInt64());
        Assert.Equal(30, profile.GetProperty("followingCount").GetInt64());
    }

    [Theory]
    [InlineData("follow")]
    [InlineData("block")]
    [InlineData("mute")]
    public async Task Nobody_follows_blocks_or_mutes_themselves_or_an_unknown_account(string what)
    {
        var person = await feed.PersonAsync();
        var before = await feed.EverythingStoredAsync();

        await (await person.Client.PostAsync($"/api/v1/accounts/{person.Handle}/{what}", null)).AssertProblemAsync(400, "self-interaction");
        await (await person.Client.DeleteAsync($"/api/v1/accounts/{person.Handle}/{what}")).AssertProblemAsync(400, "self-interaction");
        await (await person.Client.PostAsync($"/api/v1/accounts/nobody_here_at_all/{what}", null)).AssertProblemAsync(404, "not-found");
        await (await feed.Client().PostAsync($"/api/v1/accounts/{person.Handle}/{what}", null)).AssertProblemAsync(401, "unauthorized");
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Fact]
    public async Task A_block_ends_follows_both_ways_and_neither_can_follow_again_until_it_is_lifted()
    {
        var blocker = await feed.PersonAsync();
        var blocked = await feed.PersonAsync();
        await blocker.PostJsonAsync($"/api/v1/accounts/{blocked.Handle}/follow");
        await blocked.PostJsonAsync($"/api/v1/accounts/{blocker.Handle}/follow");

        var relationship = await blocker.PostJsonAsync($"/api/v1/accounts/{blocked.Handle}/block");

        Assert.True(relationship.GetProperty("blocking").GetBoolean());
        Assert.False(relationship.GetProperty("following").GetBoolean());
        Assert.False(relationship.GetProperty("followedBy").GetBoolean());
        var blockedProfile = await ProfileAsync(blocker, blocked);
        Assert.True(blockedProfile.GetProperty("blocking").GetBoolean());
        Assert.Equal(0, blockedProfile.GetProperty("followerCount").GetInt64());
        Assert.Equal(0, blockedProfile.GetProperty("followingCount").GetInt64());
        Assert.Equal(0, (await ProfileAsync(blocker, blocker)).GetProperty("followerCount").GetInt64());

        // The blocked account sees nothing of the blocker; neither can follow the other.
        await (await blocked.Client.GetAsync($"/api/v1/accounts/{blocker.Handle}")).AssertProblemAsync(404, "not-found");
        await (await blocked.Client.PostAsync($"/api/v1/accounts/{blocker.Handle}/follow", null)).AssertProblemAsync(403, "blocked");
        await (await blocker.Client.PostAsync($"/api/v1/accounts/{blocked.Handle}/follow", null)).AssertProblemAsync(403, "blocked");
        Assert.Equal(0, await feed.ScalarAsync<long>("select count(*) from ingest.follows where follower_id = any($1)", new[] { blocker.Id, blocked.Id }));

        // Only the blocker can lift it; then following works again.
        await blocked.DeleteJsonAsync($"/api/v1/accounts/{blocker.Handle}/block");
        await (await blocked.Client.PostAsync($"/api/v1/accounts/{blocker.Handle}/follow", null)).AssertProblemAsync(403, "blocked");
        await blocker.DeleteJsonAsync($"/api/v1/accounts/{blocked.Handle}/block");
        Assert.True((await blocked.PostJsonAsync($"/api/v1/accounts/{blocker.Handle}/follow")).GetProperty("following").GetBoolean());
        Assert.Equal(1, (await ProfileAsync(blocked, blocker)).GetProperty("followerCount").GetInt64());
    }

    [Fact]
    public async Task Muting_shows_in_the_relationship_and_hides_the_muted_accounts_notifications()
    {
        var person = await feed.PersonAsync();
        var noisy = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(person);
        await noisy.PostJsonAsync($"/api/v1/posts/{post}/like");
        await noisy.PostJsonAsync($"/api/v1/accounts/{person.Handle}/follow");

        var muted = await person.PostJsonAsync($"/api/v1/accounts/{noisy.Handle}/mute");

        Assert.True(muted.GetProperty("muting").GetBoolean());
        Assert.True((await ProfileAsync(person, noisy)).GetProperty("muting").GetBoolean());
        Assert.DoesNotContain(await NotificationsAsync(person), n => n.TryGetProperty("actor", out var a) && a.GetProperty("handle").GetString() == noisy.Handle);
        Assert.False((await noisy.GetJsonAsync($"/api/v1/accounts/{person.Handle}")).GetProperty("muting").GetBoolean()); // one way only

        await person.DeleteJsonAsync($"/api/v1/accounts/{noisy.Handle}/mute");
        Assert.Equal(2, (await NotificationsAsync(person)).Count(n => n.TryGetProperty("actor", out var a) && a.GetProperty("handle").GetString() == noisy.Handle));
    }

    [Fact]
    public async Task Likes_comments_replies_follows_remixes_and_moderation_outcomes_notify_newest_first()
    {
        var author = await feed.PersonAsync();
        var fan = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var fanPost = await feed.PublishedPostAsync(fan);
        var fanComment = (await fan.PostJsonAsync($"/api/v1/posts/{fanPost}/comments", new { body = "on my own post" }, 201)).GetProperty("id").GetGuid();

        await fan.PostJsonAsync($"/api/v1/posts/{post}/like");
        var comment = (await fan.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "nice" }, 201)).GetProperty("id").GetGuid();
        await fan.PostJsonAsync($"/api/v1/accounts/{author.Handle}/follow");
        var remix = await feed.PublishedPostAsync(fan, remixOf: post);
        var reply = (await author.PostJsonAsync($"/api/v1/posts/{fanPost}/comments", new { body = "answer", parentId = fanComment }, 201))
            .GetProperty("id").GetGuid();
        var rejected = await feed.SubmitPostAsync(author.Id);
        await using (var connection = await feed.DataSource.OpenConnectionAsync())
        {
            Assert.True(await PostStore.TransitionAsync(connection, rejected.Id, PostStatus.Rejected, [PostStatus.Pending], CancellationToken.None));
        }

        var page = await author.GetJsonAsync("/api/v1/notifications");
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["moderation", "remix", "follow", "comment", "like", "moderation"], items.Select(n => n.GetProperty("kind").GetString()));
        Assert.Equal("rejected", items[0].GetProperty("outcome").GetString());
        Assert.Equal(rejected.Id, items[0].GetProperty("postId").GetGuid());
        Assert.False(items[0].TryGetProperty("actor", out _));
        Assert.Equal(remix, items[1].GetProperty("postId").GetGuid());
        Assert.Equal(fan.Handle, items[1].GetProperty("actor").GetProperty("handle").GetString());
        Assert.Equal(comment, items[3].GetProperty("commentId").GetGuid());
        Assert.Equal(post, items[4].GetProperty("postId").GetGuid());
        Assert.Equal("published", items[5].GetProperty("outcome").GetString());
        Assert.All(items, n => Assert.False(n.GetProperty("read").GetBoolean()));
        Assert.Equal(6, page.GetProperty("unreadCount").GetInt64());
        var ids = items.Select(n => n.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.OrderDescending(), ids);

        // The fan hears of the reply to their comment on their own post (once), and of nothing they did themselves.
        var fanItems = await NotificationsAsync(fan);
        var replied = Assert.Single(fanItems, n => n.GetProperty("kind").GetString() == "comment");
        Assert.Equal(reply, replied.GetProperty("commentId").GetGuid());
        Assert.True(replied.GetProperty("reply").GetBoolean());
        Assert.Equal(["comment", "moderation", "moderation"], fanItems.Select(n => n.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task Nobody_is_notified_of_what_they_did_to_themselves()
    {
        var author = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var own = await feed.PublishedPostAsync(author, remixOf: post);

        await author.PostJsonAsync($"/api/v1/posts/{post}/like");
        await author.PostJsonAsync($"/api/v1/posts/{own}/comments", new { body = "me" }, 201);

        Assert.All(await NotificationsAsync(author), n => Assert.Equal("moderation", n.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task Notifications_page_with_a_cursor_and_are_marked_read_up_to_an_id()
    {
        var person = await feed.PersonAsync();
        for (var i = 0; i < 5; i++)
        {
            await (await feed.PersonAsync()).PostJsonAsync($"/api/v1/accounts/{person.Handle}/follow");
        }

        var first = await person.GetJsonAsync("/api/v1/notifications?limit=2");
        var cursor = first.GetProperty("nextCursor").GetString()!;
        var second = await person.GetJsonAsync($"/api/v1/notifications?limit=2&cursor={Uri.EscapeDataString(cursor)}");
        var third = await person.GetJsonAsync($"/api/v1/notifications?limit=2&cursor={Uri.EscapeDataString(second.GetProperty("nextCursor").GetString()!)}");
        Assert.Equal(JsonValueKind.Null, third.GetProperty("nextCursor").ValueKind);
        var ids = new[] { first, second, third }.SelectMany(p => p.GetProperty("items").EnumerateArray()).Select(n => n.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(5, ids.Distinct().Count());
        Assert.Equal(ids.OrderDescending(), ids);

        var marked = await person.PostJsonAsync("/api/v1/notifications/read", new { upTo = ids[2] });

        Assert.Equal(3, marked.GetProperty("marked").GetInt64());
        Assert.Equal(2, marked.GetProperty("unreadCount").GetInt64());
        var after = await person.GetJsonAsync("/api/v1/notifications");
        Assert.Equal([false, false, true, true, true], after.GetProperty("items").EnumerateArray().Select(n => n.GetProperty("read").GetBoolean()));
        Assert.Equal(2, after.GetProperty("unreadCount").GetInt64());

        // Someone else's notifications are not theirs to mark.
        var stranger = await feed.PersonAsync();
        Assert.Equal(0, (await stranger.PostJsonAsync("/api/v1/notifications/read", new { upTo = long.MaxValue })).GetProperty("marked").GetInt64());
        Assert.Equal(2, (await person.GetJsonAsync("/api/v1/notifications")).GetProperty("unreadCount").GetInt64());
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"upTo": 0}""")]
    [InlineData("""{"upTo": -5}""")]
    public async Task Marking_read_needs_a_notification_id(string json)
    {
        var person = await feed.PersonAsync();
        var response = await person.Client.PostAsync("/api/v1/notifications/read", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        await response.AssertProblemAsync(400, "validation-failed");
    }

    [Fact]
    public async Task Notifications_need_a_signed_in_caller_and_a_cursor_this_server_issued()
    {
        await (await feed.Client().GetAsync("/api/v1/notifications")).AssertProblemAsync(401, "unauthorized");
        await (await feed.Client().PostAsJsonAsync("/api/v1/notifications/read", new { upTo = 1 })).AssertProblemAsync(401, "unauthorized");
        var person = await feed.PersonAsync();
        await (await person.Client.GetAsync("/api/v1/notifications?cursor=nope!")).AssertProblemAsync(400, "invalid-cursor");
        await (await person.Client.GetAsync("/api/v1/notifications?limit=101")).AssertProblemAsync(400, "validation-failed");
    }

    [Fact]
    public async Task Notifications_from_an_account_later_blocked_either_way_are_hidden_and_none_are_written_across_a_block()
    {
        var author = await feed.PersonAsync();
        var blockedLater = await feed.PersonAsync();
        var blockerLater = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        await blockedLater.PostJsonAsync($"/api/v1/posts/{post}/like");
        await blockerLater.PostJsonAsync($"/api/v1/posts/{post}/like");
        await blockerLater.PostJsonAsync($"/api/v1/accounts/{author.Handle}/follow");
        Assert.Equal(3, (await NotificationsAsync(author)).Count(n => n.TryGetProperty("actor", out _)));

        await author.PostJsonAsync($"/api/v1/accounts/{blockedLater.Handle}/block");
        await blockerLater.PostJsonAsync($"/api/v1/accounts/{author.Handle}/block");

        var shown = await author.GetJsonAsync("/api/v1/notifications");
        Assert.DoesNotContain(shown.GetProperty("items").EnumerateArray(), n => n.TryGetProperty("actor", out _));
        Assert.Equal(1, shown.GetProperty("unreadCount").GetInt64()); // the moderation outcome of the post

        // A remix by a blocked account published later tells the original's author nothing.
        await feed.PublishedPostAsync(blockedLater, remixOf: post);
        Assert.Equal(0, await feed.ScalarAsync<long>("select count(*) from ingest.notifications where account_id = $1 and kind = 'remix'", author.Id));
    }

    [Fact]
    public async Task Unliking_takes_back_the_unread_like_notification()
    {
        var author = await feed.PersonAsync();
        var fan = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);

        for (var i = 0; i < 3; i++)
        {
            await fan.PostJsonAsync($"/api/v1/posts/{post}/like");
            await fan.DeleteJsonAsync($"/api/v1/posts/{post}/like");
        }

        await fan.PostJsonAsync($"/api/v1/posts/{post}/like");
        Assert.Single(await NotificationsAsync(author), n => n.GetProperty("kind").GetString() == "like");
    }

    [Fact]
    public async Task A_published_post_taken_down_tells_its_author_it_was_removed()
    {
        var author = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);

        await using (var connection = await feed.DataSource.OpenConnectionAsync())
        {
            Assert.True(await PostStore.TransitionAsync(connection, post, PostStatus.Removed, [PostStatus.Published], CancellationToken.None));
            Assert.False(await PostStore.TransitionAsync(connection, post, PostStatus.Removed, [PostStatus.Published], CancellationToken.None));
        }

        var outcomes = (await NotificationsAsync(author)).Select(n => (n.GetProperty("kind").GetString(), n.GetProperty("outcome").GetString()));
        Assert.Equal([("moderation", "removed"), ("moderation", "published")], outcomes);
    }
}
