using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Protections;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The calibration API and the minor-safety image gate on the console host, over HTTP.</summary>
public sealed class ProtectionsApiTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    private async Task<HttpClient> ClientAsync(Ingest.Accounts.Account account)
    {
        var client = console.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await console.Get<AccessTokens>().IssueAsync(account.Id, default)).Token);
        return client;
    }

    [Fact]
    public async Task Staff_read_the_calibration_per_signal_and_a_bad_target_is_a_problem()
    {
        var author = await console.CreateAccountAsync();
        var reviewer = await console.CreateAccountAsync(Roles.Moderator);
        foreach (var (decision, score) in new[] { ("remove", 0.9f), ("remove", 0.5f), ("approve", 0.7f), ("approve", 0.1f) })
        {
            var post = await console.SubmitPostAsync(author.Id, prompt: $"api calibration {Guid.NewGuid():N}");
            await using (var connection = await console.DataSource.OpenConnectionAsync())
            {
                await SignalStore.SaveAsync(connection, post.Id, [new Signal("text-classifier", "test-1", "unsafe_text", score)], default);
            }

            await console.ExecuteAsync(
                "insert into moderation.labels (post_id, source, reviewer_id, decision, policy_version) values ($1, 'human', $2, $3, 'test')",
                post.Id, reviewer.Id, decision);
        }

        var staff = await ClientAsync(await console.CreateAccountAsync(Roles.MlEngineer));
        var report = await staff.GetFromJsonAsync<JsonElement>("/api/v1/moderation/calibration?target=0.9");
        var atHalf = await staff.GetFromJsonAsync<JsonElement>("/api/v1/moderation/calibration?target=0.5");
        var bad = await staff.GetAsync("/api/v1/moderation/calibration?target=1.5");
        var person = await (await ClientAsync(author)).GetAsync("/api/v1/moderation/calibration");

        var category = report.GetProperty("categories").EnumerateArray().Single(c => c.GetProperty("source").GetString() == "text-classifier");
        Assert.Equal(0.75, category.GetProperty("suggestedThreshold").GetDouble()); // 0.9 alone is flagged above 0.7
        Assert.Equal(19, category.GetProperty("points").GetArrayLength());
        Assert.Equal(0.05, atHalf.GetProperty("categories").EnumerateArray().Single(c => c.GetProperty("source").GetString() == "text-classifier")
            .GetProperty("suggestedThreshold").GetDouble());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, person.StatusCode);
    }

    [Fact]
    public async Task A_minor_safety_posts_image_is_served_only_after_the_reviewer_asked_for_it()
    {
        var post = await console.SubmitPostAsync((await console.CreateAccountAsync()).Id, prompt: $"held {Guid.NewGuid():N}");
        var taskId = Guid.CreateVersion7();
        await console.ExecuteAsync(
            """
            insert into moderation.review_tasks (id, post_id, reason, priority, policy_version, queue, rule_id)
            values ($1, $2, 'held by a test', 100, 'test', 'minor-safety', 'guard:minor-safety')
            """, taskId, post.Id);
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        var client = await ClientAsync(moderator);

        var hidden = await client.GetAsync($"/media/{post.Media.Sha256}");
        (await console.Get<ImageReveals>().RevealAsync(taskId, new Actor(moderator.Id, moderator.Handle), "the text and scores disagree", default)).Value.ToString();
        var shown = await client.GetAsync($"/media/{post.Media.Sha256}");

        Assert.Equal(HttpStatusCode.Forbidden, hidden.StatusCode);
        Assert.Contains("minor-safety", (await hidden.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
    }
}
