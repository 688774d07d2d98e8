using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace AiSocial.Feed.Tests;

/// <summary>Likes, reposts and comments through the API, with their counters, against the real database.</summary>
public sealed class InteractionsApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private async Task<long> CountAsync(string sql, params object[] parameters) => await feed.ScalarAsync<long>(sql, parameters);

    [Fact]
    public async Task Liking_and_unliking_are_idempotent_and_the_post_shows_the_count()
    {
        var author = await feed.PersonAsync();
        var fan = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);

        var first = await fan.PostJsonAsync($"/api/v1/posts/{post}/like");
        var again = await fan.PostJsonAsync($"/api/v1/posts/{post}/like");

        Assert.True(first.GetProperty("liked").GetBoolean());
        Assert.Equal(1, again.GetProperty("likeCount").GetInt64());
        Assert.Equal(1, (await fan.GetJsonAsync($"/api/v1/posts/{post}")).GetProperty("likeCount").GetInt64());
        Assert.Equal(1, await CountAsync("select count(*) from ingest.likes where post_id = $1", post));

        var unliked = await fan.DeleteJsonAsync($"/api/v1/posts/{post}/like");
        var unlikedAgain = await fan.DeleteJsonAsync($"/api/v1/posts/{post}/like");

        Assert.False(unliked.GetProperty("liked").GetBoolean());
        Assert.Equal(0, unlikedAgain.GetProperty("likeCount").GetInt64());
        Assert.Equal(0, (await fan.GetJsonAsync($"/api/v1/posts/{post}")).GetProperty("likeCount").GetInt64());
    }

    [Fact]
    public async Task Concurrent_likes_by_many_accounts_give_the_exact_count()
    {
        var author = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var fans = new List<Person>();
        for (var i = 0; i < 40; i++)
        {
            fans.Add(await feed.PersonAsync());
        }

        var responses = await Task.WhenAll(fans.Select(f => f.Client.PostAsync($"/api/v1/posts/{post}/like", null)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(40, (await author.GetJsonAsync($"/api/v1/posts/{post}")).GetProperty("likeCount").GetInt64());
        Assert.Equal(40, await CountAsync("select count(*) from ingest.notifications where post_id = $1 and kind = 'like'", post));
    }

    [Fact]
    public async Task Racing_likes_and_unlikes_leave_the_counter_equal_to_the_likes_stored()
    {
        var author = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var fans = new List<Person>();
        for (var i = 0; i < 20; i++)
        {
            fans.Add(await feed.PersonAsync());
        }

        // Each account likes three times and unlikes twice, all at once; which wins per account is up to the race.
        var requests = fans.SelectMany(f => new[]
        {
            f.Client.PostAsync($"/api/v1/posts/{post}/like", null), f.Client.DeleteAsync($"/api/v1/posts/{post}/like"),
            f.Client.PostAsync($"/api/v1/posts/{post}/like", null), f.Client.DeleteAsync($"/api/v1/posts/{post}/like"),
            f.Client.PostAsync($"/api/v1/posts/{post}/like", null),
        });
        var responses = await Task.WhenAll(requests);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var stored = await CountAsync("select count(*) from ingest.likes where post_id = $1", post);
        Assert.Equal(stored, await CountAsync("select like_count from ingest.post_counters where post_id = $1", post));
    }

    [Fact]
    public async Task Reposting_is_idempotent_and_counted()
    {
        var author = await feed.PersonAsync();
        var fan = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);

        await fan.PostJsonAsync($"/api/v1/posts/{post}/repost");
        var again = await fan.PostJsonAsync($"/api/v1/posts/{post}/repost");
        Assert.True(again.GetProperty("reposted").GetBoolean());
        Assert.Equal(1, again.GetProperty("repostCount").GetInt64());
        Assert.Equal(1, await CountAsync("select repost_count from ingest.post_counters where post_id = $1", post));

        var undone = await fan.DeleteJsonAsync($"/api/v1/posts/{post}/repost");
        Assert.False(undone.GetProperty("reposted").GetBoolean());
        Assert.Equal(0, undone.GetProperty("repostCount").GetInt64());
        Assert.Equal(0, await CountAsync("select count(*) from ingest.reposts where post_id = $1", post));
    }

    [Fact]
    public async Task Posts_nobody_may_see_cannot_be_liked_reposted_or_commented_and_nothing_changes()
    {
        var author = await feed.PersonAsync();
        var other = await feed.PersonAsync();
        var pending = (await feed.SubmitPostAsync(author.Id)).Id;
        var deleted = await feed.PublishedPostAsync(author);
        await feed.ExecuteAsync("update ingest.posts set deleted_at = now() where id = $1", deleted);
        var before = await feed.EverythingStoredAsync();

        foreach (var (person, post) in new[] { (other, Guid.NewGuid()), (other, pending), (author, pending), (other, deleted) })
        {
            await (await person.Client.PostAsync($"/api/v1/posts/{post}/like", null)).AssertProblemAsync(404, "not-found");
            await (await person.Client.DeleteAsync($"/api/v1/posts/{post}/like")).AssertProblemAsync(404, "not-found");
            await (await person.Client.PostAsync($"/api/v1/posts/{post}/repost", null)).AssertProblemAsync(404, "not-found");
            await (await person.Client.PostAsJsonAsync($"/api/v1/posts/{post}/comments", new { body = "hello" })).AssertProblemAsync(404, "not-found");
        }

        await (await other.Client.GetAsync($"/api/v1/posts/{pending}/comments")).AssertProblemAsync(404, "not-found");
        await (await other.Client.GetAsync($"/api/v1/posts/{deleted}/comments")).AssertProblemAsync(404, "not-found");
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Fact]
    public async Task Signed_out_callers_cannot_interact_but_can_read_comments()
    {
        var author = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "first" }, 201);
        var anonymous = feed.Client();

        await (await anonymous.PostAsync($"/api/v1/posts/{post}/like", null)).AssertProblemAsync(401, "unauthorized");
        await (await anonymous.PostAsync($"/api/v1/posts/{post}/repost", null)).AssertProblemAsync(401, "unauthorized");
        await (await anonymous.PostAsJsonAsync($"/api/v1/posts/{post}/comments", new { body = "x" })).AssertProblemAsync(401, "unauthorized");
        var comments = await (await anonymous.GetAsync($"/api/v1/posts/{post}/comments")).JsonAsync(200);
        Assert.Equal("first", Assert.Single(comments.GetProperty("items").EnumerateArray()).GetProperty("body").GetString());
    }

    [Fact]
    public async Task Comments_list_thread_by_thread_across_pages_with_replies_after_their_comment()
    {
        var author = await feed.PersonAsync();
        var reader = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var expected = new List<Guid>();
        for (var thread = 0; thread < 3; thread++)
        {
            var top = (await reader.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = $"thread {thread}" }, 201)).GetProperty("id").GetGuid();
            expected.Add(top);
            if (thread == 0)
            {
                // Comments made later go to the end, but a reply to the first thread still shows inside it.
                continue;
            }

            for (var reply = 0; reply < thread; reply++)
            {
                var answer = await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = $"reply {reply}", parentId = top }, 201);
                Assert.Equal(top, answer.GetProperty("parentId").GetGuid());
                expected.Add(answer.GetProperty("id").GetGuid());
            }
        }

        var late = (await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "late reply", parentId = expected[0] }, 201))
            .GetProperty("id").GetGuid();
        expected.Insert(1, late);

        var seen = new List<JsonElement>();
        var url = $"/api/v1/posts/{post}/comments?limit=2";
        while (true)
        {
            var page = await reader.GetJsonAsync(url);
            Assert.True(page.GetProperty("items").GetArrayLength() <= 2);
            seen.AddRange(page.GetProperty("items").EnumerateArray());
            if (page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null)
            {
                break;
            }

            url = $"/api/v1/posts/{post}/comments?limit=2&cursor={Uri.EscapeDataString(page.GetProperty("nextCursor").GetString()!)}";
        }

        Assert.Equal(expected, seen.Select(c => c.GetProperty("id").GetGuid()));
        Assert.Equal(reader.Handle, seen[0].GetProperty("author").GetProperty("handle").GetString());
        Assert.False(seen[0].TryGetProperty("parentId", out _));
        Assert.Equal(expected.Count, (await reader.GetJsonAsync($"/api/v1/posts/{post}")).GetProperty("commentCount").GetInt64());
    }

    [Theory]
    [InlineData("""{"body": ""}""", "body")]
    [InlineData("""{"body": "   "}""", "body")]
    [InlineData("""{"body": "\u200B"}""", "body")]
    [InlineData("""{"body": "a\u0007b"}""", "body")]
    [InlineData("""{}""", "body")]
    public async Task Unreadable_comments_are_refused_and_nothing_is_stored(string json, string field)
    {
        var author = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var before = await feed.EverythingStoredAsync();

        var response = await author.Client.PostAsync($"/api/v1/posts/{post}/comments", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(400, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Fact]
    public async Task A_comment_over_2000_characters_is_refused()
    {
        var author = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);

        await (await author.Client.PostAsJsonAsync($"/api/v1/posts/{post}/comments", new { body = new string('x', 2001) }))
            .AssertProblemAsync(400, "validation-failed");
        await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = new string('x', 2000) }, 201);
    }

    [Fact]
    public async Task A_reply_must_answer_a_top_level_comment_of_the_same_post()
    {
        var author = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var otherPost = await feed.PublishedPostAsync(author);
        var top = (await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "top" }, 201)).GetProperty("id").GetGuid();
        var reply = (await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "reply", parentId = top }, 201)).GetProperty("id").GetGuid();
        var elsewhere = (await author.PostJsonAsync($"/api/v1/posts/{otherPost}/comments", new { body = "other" }, 201)).GetProperty("id").GetGuid();
        var before = await feed.EverythingStoredAsync();

        foreach (var parent in new[] { reply, elsewhere, Guid.NewGuid() })
        {
            var problem = await (await author.Client.PostAsJsonAsync($"/api/v1/posts/{post}/comments", new { body = "nested", parentId = parent }))
                .AssertProblemAsync(400, "validation-failed");
            Assert.True(problem.GetProperty("errors").TryGetProperty("parentId", out _));
        }

        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Fact]
    public async Task Comment_authors_delete_their_own_and_post_authors_any_on_their_post_but_nobody_else_can()
    {
        var author = await feed.PersonAsync();
        var commenter = await feed.PersonAsync();
        var stranger = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var mine = (await commenter.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "mine" }, 201)).GetProperty("id").GetGuid();
        var theirs = (await commenter.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "theirs" }, 201)).GetProperty("id").GetGuid();
        var before = await feed.EverythingStoredAsync();

        await (await stranger.Client.DeleteAsync($"/api/v1/posts/{post}/comments/{mine}")).AssertProblemAsync(403, "not-your-comment");
        await (await stranger.Client.DeleteAsync($"/api/v1/posts/{post}/comments/{Guid.NewGuid()}")).AssertProblemAsync(404, "not-found");
        var otherPost = await feed.PublishedPostAsync(stranger);
        await (await commenter.Client.DeleteAsync($"/api/v1/posts/{otherPost}/comments/{mine}")).AssertProblemAsync(404, "not-found");
        await (await feed.Client().DeleteAsync($"/api/v1/posts/{post}/comments/{mine}")).AssertProblemAsync(401, "unauthorized");
        Assert.Equal(2, await CountAsync("select count(*) from ingest.comments where post_id = $1 and deleted_at is null", post));
        Assert.Equal(before["ingest.comments"], (await feed.EverythingStoredAsync())["ingest.comments"]);

        Assert.Equal(HttpStatusCode.NoContent, (await commenter.Client.DeleteAsync($"/api/v1/posts/{post}/comments/{mine}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await author.Client.DeleteAsync($"/api/v1/posts/{post}/comments/{theirs}")).StatusCode);
        await (await commenter.Client.DeleteAsync($"/api/v1/posts/{post}/comments/{mine}")).AssertProblemAsync(404, "not-found");

        Assert.Equal(0, (await stranger.GetJsonAsync($"/api/v1/posts/{post}/comments")).GetProperty("items").GetArrayLength());
        Assert.Equal(0, (await stranger.GetJsonAsync($"/api/v1/posts/{post}")).GetProperty("commentCount").GetInt64());
    }

    [Fact]
    public async Task Deleting_a_comment_takes_its_replies_with_it_and_the_count_follows()
    {
        var author = await feed.PersonAsync();
        var commenter = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var top = (await commenter.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "top" }, 201)).GetProperty("id").GetGuid();
        await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "reply 1", parentId = top }, 201);
        await commenter.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "reply 2", parentId = top }, 201);
        await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "stays" }, 201);
        Assert.Equal(4, (await author.GetJsonAsync($"/api/v1/posts/{post}")).GetProperty("commentCount").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await commenter.Client.DeleteAsync($"/api/v1/posts/{post}/comments/{top}")).StatusCode);

        var left = (await author.GetJsonAsync($"/api/v1/posts/{post}/comments")).GetProperty("items");
        Assert.Equal("stays", Assert.Single(left.EnumerateArray()).GetProperty("body").GetString());
        Assert.Equal(1, (await author.GetJsonAsync($"/api/v1/posts/{post}")).GetProperty("commentCount").GetInt64());
    }

    [Fact]
    public async Task Comments_by_accounts_blocked_either_way_are_hidden_with_their_replies()
    {
        var author = await feed.PersonAsync();
        var reader = await feed.PersonAsync();
        var blockedByReader = await feed.PersonAsync();
        var blockingReader = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var hiddenThread = (await blockedByReader.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "blocked" }, 201)).GetProperty("id").GetGuid();
        await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "answer to the blocked", parentId = hiddenThread }, 201);
        await blockingReader.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "blocking" }, 201);
        var visible = (await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "visible" }, 201)).GetProperty("id").GetGuid();
        await blockedByReader.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "blocked reply", parentId = visible }, 201);

        await reader.PostJsonAsync($"/api/v1/accounts/{blockedByReader.Handle}/block");
        await blockingReader.PostJsonAsync($"/api/v1/accounts/{reader.Handle}/block");

        var bodies = (await reader.GetJsonAsync($"/api/v1/posts/{post}/comments")).GetProperty("items").EnumerateArray()
            .Select(c => c.GetProperty("body").GetString()).ToList();
        Assert.Equal(["visible"], bodies);
        Assert.Equal(5, (await feed.Client().GetFromJsonAsync<JsonElement>($"/api/v1/posts/{post}/comments")).GetProperty("items").GetArrayLength());

        // Neither can answer the other's comment, and the stranger's delete of a comment it cannot see is not found.
        var blockedComment = await (await reader.Client.PostAsJsonAsync($"/api/v1/posts/{post}/comments", new { body = "hi", parentId = hiddenThread }))
            .AssertProblemAsync(400, "validation-failed");
        Assert.True(blockedComment.GetProperty("errors").TryGetProperty("parentId", out _));
        await (await reader.Client.DeleteAsync($"/api/v1/posts/{post}/comments/{hiddenThread}")).AssertProblemAsync(404, "not-found");
    }

    [Fact]
    public async Task Posts_of_an_account_blocked_either_way_cannot_be_liked_reposted_commented_or_read()
    {
        var author = await feed.PersonAsync();
        var blocked = await feed.PersonAsync();
        var blocker = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        await author.PostJsonAsync($"/api/v1/accounts/{blocked.Handle}/block");
        await blocker.PostJsonAsync($"/api/v1/accounts/{author.Handle}/block");
        var before = await feed.EverythingStoredAsync();

        foreach (var person in new[] { blocked, blocker })
        {
            await (await person.Client.PostAsync($"/api/v1/posts/{post}/like", null)).AssertProblemAsync(404, "not-found");
            await (await person.Client.PostAsync($"/api/v1/posts/{post}/repost", null)).AssertProblemAsync(404, "not-found");
            await (await person.Client.PostAsJsonAsync($"/api/v1/posts/{post}/comments", new { body = "hi" })).AssertProblemAsync(404, "not-found");
            await (await person.Client.GetAsync($"/api/v1/posts/{post}/comments")).AssertProblemAsync(404, "not-found");
        }

        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Fact]
    public async Task Comments_of_a_suspended_account_are_hidden()
    {
        var author = await feed.PersonAsync();
        var troll = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        await troll.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "troll" }, 201);
        await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "kept" }, 201);

        await feed.ExecuteAsync("update ingest.accounts set suspended_at = now(), suspended_reason = 'spam' where id = $1", troll.Id);

        var bodies = (await author.GetJsonAsync($"/api/v1/posts/{post}/comments")).GetProperty("items").EnumerateArray()
            .Select(c => c.GetProperty("body").GetString());
        Assert.Equal(["kept"], bodies);
    }

    [Theory]
    [InlineData("?cursor=zzz", "invalid-cursor")]
    [InlineData("?cursor=AAAA", "invalid-cursor")]
    [InlineData("?limit=0", "validation-failed")]
    [InlineData("?limit=101", "validation-failed")]
    public async Task Bad_paging_parameters_for_comments_are_refused(string query, string code)
    {
        var author = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        await (await feed.Client().GetAsync($"/api/v1/posts/{post}/comments{query}")).AssertProblemAsync(400, code);
    }

    [Fact]
    public async Task A_cursor_from_another_list_is_refused()
    {
        var author = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        for (var i = 0; i < 3; i++)
        {
            await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = $"c{i}" }, 201);
            await author.PostJsonAsync("/api/v1/reports", new { subjectType = "account", subjectId = (await feed.PersonAsync()).Handle, reason = "spam" }, 201);
        }

        var reportsCursor = (await author.GetJsonAsync("/api/v1/me/reports?limit=1")).GetProperty("nextCursor").GetString()!;
        await (await author.Client.GetAsync($"/api/v1/posts/{post}/comments?cursor={reportsCursor}")).AssertProblemAsync(400, "invalid-cursor");
    }

    [Theory]
    [InlineData("/api/v1/posts/{id}/like", "post", true, "404")]
    [InlineData("/api/v1/posts/{id}/like", "delete", true, "404")]
    [InlineData("/api/v1/posts/{id}/repost", "post", true, "404")]
    [InlineData("/api/v1/posts/{id}/repost", "delete", true, "404")]
    [InlineData("/api/v1/posts/{id}/comments", "post", true, "400")]
    [InlineData("/api/v1/posts/{id}/comments", "get", false, "404")]
    [InlineData("/api/v1/posts/{id}/comments/{commentId}", "delete", true, "403")]
    [InlineData("/api/v1/accounts/{handle}/follow", "post", true, "403")]
    [InlineData("/api/v1/accounts/{handle}/block", "delete", true, "400")]
    [InlineData("/api/v1/accounts/{handle}/mute", "post", true, "404")]
    [InlineData("/api/v1/notifications", "get", true, "400")]
    [InlineData("/api/v1/notifications/read", "post", true, "400")]
    [InlineData("/api/v1/reports", "post", true, "409")]
    [InlineData("/api/v1/me/reports", "get", true, "400")]
    public async Task The_OpenAPI_document_lists_each_interaction_endpoint_with_its_problems_and_whether_it_needs_a_token(string path, string method,
        bool signedIn, string problemStatus)
    {
        var openApi = await feed.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var operation = openApi.GetProperty("paths").GetProperty(path).GetProperty(method);
        Assert.Equal(signedIn, operation.TryGetProperty("security", out _));
        Assert.True(operation.GetProperty("responses").TryGetProperty(problemStatus, out _), $"{method} {path} does not declare {problemStatus}.");
    }
}
