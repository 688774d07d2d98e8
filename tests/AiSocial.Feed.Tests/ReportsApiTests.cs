using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace AiSocial.Feed.Tests;

/// <summary>Reports of posts, comments and accounts, and a reporter's view of them.</summary>
public sealed class ReportsApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    [Fact]
    public async Task A_report_is_stored_with_an_outbox_message_for_moderation_and_listed_for_its_reporter()
    {
        var author = await feed.PersonAsync();
        var reporter = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);

        var response = await reporter.Client.PostAsJsonAsync("/api/v1/reports",
            new { subjectType = "post", subjectId = post.ToString(), reason = "impersonation-deepfake", text = "  This is me, made without asking.  " });

        var report = await response.JsonAsync(201);
        var id = report.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/me/reports/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(("post", post, "impersonation-deepfake", "open"), (report.GetProperty("subjectType").GetString(), report.GetProperty("subjectId").GetGuid(),
            report.GetProperty("reason").GetString(), report.GetProperty("status").GetString()));
        Assert.Equal("This is me, made without asking.", report.GetProperty("text").GetString());
        Assert.Equal(1, await feed.ScalarAsync<long>("select count(*) from ingest.outbox where topic = 'report.submitted' and subject_id = $1", id));

        var mine = (await reporter.GetJsonAsync("/api/v1/me/reports")).GetProperty("items");
        Assert.Equal(id, Assert.Single(mine.EnumerateArray()).GetProperty("id").GetGuid());
        Assert.Equal(0, (await author.GetJsonAsync("/api/v1/me/reports")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task A_second_open_report_of_the_same_subject_is_a_conflict_naming_the_first_until_it_is_resolved()
    {
        var author = await feed.PersonAsync();
        var reporter = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var first = (await reporter.PostJsonAsync("/api/v1/reports", new { subjectType = "post", subjectId = post, reason = "spam" }, 201)).GetProperty("id").GetGuid();
        var before = await feed.EverythingStoredAsync();

        var conflict = await (await reporter.Client.PostAsJsonAsync("/api/v1/reports", new { subjectType = "post", subjectId = post, reason = "hate" }))
            .AssertProblemAsync(409, "report-open");

        Assert.Equal(first, conflict.GetProperty("reportId").GetGuid());
        Assert.Equal(before, await feed.EverythingStoredAsync());
        // Someone else may report the same post.
        await (await feed.PersonAsync()).PostJsonAsync("/api/v1/reports", new { subjectType = "post", subjectId = post, reason = "spam" }, 201);

        await feed.ExecuteAsync("update ingest.reports set status = 'dismissed', outcome = 'no violation found', resolved_at = now() where id = $1", first);
        var second = await reporter.PostJsonAsync("/api/v1/reports", new { subjectType = "post", subjectId = post, reason = "hate" }, 201);
        Assert.NotEqual(first, second.GetProperty("id").GetGuid());

        var mine = (await reporter.GetJsonAsync("/api/v1/me/reports")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["open", "dismissed"], mine.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal("no violation found", mine[1].GetProperty("outcome").GetString());
        Assert.True(mine[1].TryGetProperty("resolvedAt", out _));
    }

    [Fact]
    public async Task Concurrent_identical_reports_file_exactly_one()
    {
        var reporter = await feed.PersonAsync();
        var subject = await feed.PersonAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            reporter.Client.PostAsJsonAsync("/api/v1/reports", new { subjectType = "account", subjectId = subject.Id, reason = "harassment" })));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(1, await feed.ScalarAsync<long>("select count(*) from ingest.reports where reporter_id = $1", reporter.Id));
        Assert.Equal(1, await feed.ScalarAsync<long>(
            "select count(*) from ingest.outbox o join ingest.reports r on r.id = o.subject_id where r.reporter_id = $1", reporter.Id));
    }

    [Fact]
    public async Task Comments_and_accounts_by_id_or_handle_can_be_reported()
    {
        var author = await feed.PersonAsync();
        var reporter = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(author);
        var comment = (await author.PostJsonAsync($"/api/v1/posts/{post}/comments", new { body = "mean words" }, 201)).GetProperty("id").GetGuid();

        var ofComment = await reporter.PostJsonAsync("/api/v1/reports", new { subjectType = "comment", subjectId = comment, reason = "harassment" }, 201);
        var byHandle = await reporter.PostJsonAsync("/api/v1/reports", new { subjectType = "account", subjectId = author.Handle, reason = "other" }, 201);

        Assert.Equal(comment, ofComment.GetProperty("subjectId").GetGuid());
        Assert.Equal(author.Id, byHandle.GetProperty("subjectId").GetGuid());
        await (await reporter.Client.PostAsJsonAsync("/api/v1/reports", new { subjectType = "account", subjectId = author.Id, reason = "spam" }))
            .AssertProblemAsync(409, "report-open");
    }

    [Theory]
    [InlineData("""{"subjectType": "post", "subjectId": "{post}", "reason": "ugly"}""", "reason")]
    [InlineData("""{"subjectType": "post", "subjectId": "{post}", "reason": "Spam"}""", "reason")]
    [InlineData("""{"subjectType": "post", "subjectId": "{post}"}""", "reason")]
    [InlineData("""{"subjectType": "image", "subjectId": "{post}", "reason": "spam"}""", "subjectType")]
    [InlineData("""{"subjectId": "{post}", "reason": "spam"}""", "subjectType")]
    [InlineData("""{"subjectType": "post", "reason": "spam"}""", "subjectId")]
    [InlineData("""{"subjectType": "post", "subjectId": "not-a-uuid", "reason": "spam"}""", "subjectId")]
    [InlineData("""{"subjectType": "comment", "subjectId": "", "reason": "spam"}""", "subjectId")]
    [InlineData("""{"subjectType": "post", "subjectId": "{post}", "reason": "spam", "text": "{long}"}""", "text")]
    [InlineData("""{"subjectType": "post", "subjectId": "{post}", "reason": "spam", "text": "a\u0000b"}""", "text")]
    [InlineData("""{"subjectType": "account", "subjectId": "{me}", "reason": "spam"}""", "subjectId")]
    public async Task Invalid_reports_are_refused_naming_the_field_and_nothing_is_stored(string template, string field)
    {
        var reporter = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(await feed.PersonAsync());
        var json = template.Replace("{post}", post.ToString()).Replace("{long}", new string('x', 2001)).Replace("{me}", reporter.Handle);
        var before = await feed.EverythingStoredAsync();

        var response = await reporter.Client.PostAsync("/api/v1/reports", new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(400, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Fact]
    public async Task Reports_of_things_that_do_not_exist_or_the_reporter_may_not_see_are_not_found()
    {
        var author = await feed.PersonAsync();
        var reporter = await feed.PersonAsync();
        var pending = (await feed.SubmitPostAsync(author.Id)).Id;
        var before = await feed.EverythingStoredAsync();

        foreach (var (type, id) in new[] { ("post", Guid.NewGuid().ToString()), ("post", pending.ToString()), ("comment", Guid.NewGuid().ToString()),
                     ("account", Guid.NewGuid().ToString()), ("account", "no_such_handle") })
        {
            await (await reporter.Client.PostAsJsonAsync("/api/v1/reports", new { subjectType = type, subjectId = id, reason = "spam" }))
                .AssertProblemAsync(404, "not-found");
        }

        await (await feed.Client().PostAsJsonAsync("/api/v1/reports", new { subjectType = "post", subjectId = pending, reason = "spam" }))
            .AssertProblemAsync(401, "unauthorized");
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Fact]
    public async Task A_blocked_account_can_still_be_reported()
    {
        var harasser = await feed.PersonAsync();
        var target = await feed.PersonAsync();
        var post = await feed.PublishedPostAsync(harasser);
        await target.PostJsonAsync($"/api/v1/accounts/{harasser.Handle}/block");

        await target.PostJsonAsync("/api/v1/reports", new { subjectType = "account", subjectId = harasser.Handle, reason = "harassment" }, 201);
        await target.PostJsonAsync("/api/v1/reports", new { subjectType = "post", subjectId = post, reason = "harassment" }, 201);
    }

    [Fact]
    public async Task My_reports_page_newest_first_with_a_cursor()
    {
        var reporter = await feed.PersonAsync();
        var filed = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var subject = await feed.PersonAsync();
            filed.Add((await reporter.PostJsonAsync("/api/v1/reports", new { subjectType = "account", subjectId = subject.Handle, reason = "spam" }, 201))
                .GetProperty("id").GetGuid());
        }

        var seen = new List<Guid>();
        var url = "/api/v1/me/reports?limit=2";
        while (true)
        {
            var page = await reporter.GetJsonAsync(url);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()));
            if (page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null)
            {
                break;
            }

            url = $"/api/v1/me/reports?limit=2&cursor={Uri.EscapeDataString(page.GetProperty("nextCursor").GetString()!)}";
        }

        Assert.Equal(filed.AsEnumerable().Reverse(), seen);
        await (await reporter.Client.GetAsync("/api/v1/me/reports?cursor=AAAA")).AssertProblemAsync(400, "invalid-cursor");
        await (await reporter.Client.GetAsync("/api/v1/me/reports?limit=0")).AssertProblemAsync(400, "validation-failed");
        await (await feed.Client().GetAsync("/api/v1/me/reports")).AssertProblemAsync(401, "unauthorized");
    }
}
