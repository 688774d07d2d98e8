using AiSocial.AdminConsole.Components.Pages.Review;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Protections;
using AiSocial.Moderation.Review;
using AiSocial.Testing;
using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.AdminConsole.Tests;

/// <summary>
/// The review task view and the minor-safety queue rendered with bUnit against the real database. Tasks are opened
/// here as the policy engine opens them (a stored decision, its rule and queue), whatever the active policy is.
/// </summary>
public sealed class ReviewTaskPageTests(PlatformFixture platform) : IClassFixture<PlatformFixture>, IAsyncDisposable
{
    private const int TestPolicyVersion = 9001;

    private readonly BunitContext _context = new();

    public ValueTask DisposeAsync() => _context.DisposeAsync();

    private async Task<Ingest.Accounts.Account> SignInAsync()
    {
        var moderator = await platform.CreateAccountAsync(Roles.Moderator);
        _context.Services.AddSingleton(platform.Get<ReviewQueue>());
        _context.Services.AddSingleton(platform.Get<ImageReveals>());
        _context.SignIn(moderator, Roles.Moderator);
        return moderator;
    }

    /// <summary>A pending post with signals, held by a stored decision of rule <paramref name="rule"/> in <paramref name="queue"/>.</summary>
    private async Task<(Post Post, Guid TaskId)> HeldAsync(string queue, string rule, string prompt)
    {
        await platform.ExecuteAsync("update moderation.review_tasks set state = 'decided' where state = 'open'");
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, prompt: prompt);
        await using (var connection = await platform.DataSource.OpenConnectionAsync())
        {
            await SignalStore.SaveAsync(connection, post.Id,
                [new Signal("nsfw", "nsfw-mobilenet-2.0", "porn", 0.91), new Signal("contentsafety.text", "2024-09-01", "sexual", 4 / 7.0, Severity: 4),
                 new Signal("minor-safety", "terms-1", "minor-presence", 1)], default);
            await SignalStore.SaveAsync(connection, post.Id, [new Signal("openai", "omni-moderation-latest", "sexual/minors", 0.42)], shadow: true, default);
        }

        await platform.ExecuteAsync(
            """
            insert into moderation.policy_versions (version, state, document, created_by, activated_by, activated_at)
            values ($1, 'retired', '{}', 'test', 'test', now()) on conflict (version) do nothing
            """, TestPolicyVersion);
        var decisionId = await platform.ScalarAsync<long>(
            """
            insert into moderation.decisions (post_id, policy_version, mode, action, rule_id, queue, priority, reason, signals_read)
            values ($1, $2, 'live', 'hold', $3, $4, 100, 'minor presence with a sexual score',
                    '[{"source": "nsfw", "category": "porn", "score": 0.91}]')
            returning id
            """, post.Id, TestPolicyVersion, rule, queue);
        var taskId = Guid.CreateVersion7();
        await platform.ExecuteAsync(
            """
            insert into moderation.review_tasks (id, post_id, reason, priority, policy_version, queue, rule_id, decision_id)
            values ($1, $2, 'minor presence with a sexual score', 100, $3, $4, $5, $6)
            """, taskId, post.Id, $"v{TestPolicyVersion}", queue, rule, decisionId);
        return (post, taskId);
    }

    [Fact]
    public async Task The_task_shows_its_queue_the_rule_that_fired_and_every_signal_with_source_model_version_score_and_severity()
    {
        var (post, taskId) = await HeldAsync("escalation", "new-account-many-reports", $"a crowded market {Guid.NewGuid():N}");
        await SignInAsync();

        var page = _context.Render<ReviewTaskPage>(parameters => parameters.Add(p => p.TaskId, taskId));

        page.WaitForAssertion(() => Assert.Equal(post.Prompt, page.Find("[data-testid=task-prompt]").TextContent));
        Assert.Equal("escalation", page.Find("[data-testid=task-queue]").TextContent.Trim());
        Assert.Equal("new-account-many-reports", page.Find("[data-testid=task-rule]").TextContent);
        Assert.Equal($"v{TestPolicyVersion} (live)", page.Find("[data-testid=task-policy]").TextContent);
        Assert.Contains("\"porn\"", page.Find("[data-testid=task-signals-read]").TextContent);
        var rows = page.FindAll("[data-testid=task-signal]").Select(row => row.QuerySelectorAll("td").Select(cell => cell.TextContent.Trim()).ToArray()).ToList();
        Assert.Contains(["contentsafety.text", "sexual", "2024-09-01", "0.57", "4", "live"], rows);
        Assert.Contains(["nsfw", "porn", "nsfw-mobilenet-2.0", "0.91", "—", "live"], rows);
        Assert.Contains(["openai", "sexual/minors", "omni-moderation-latest", "0.42", "—", "shadow"], rows);
        Assert.Contains(["minor-safety", "minor-presence", "terms-1", "1.00", "—", "live"], rows);
        Assert.NotEmpty(page.FindAll("img")); // not a hiding queue: the image is there, blurred
        Assert.Contains("ais-blurred", page.Find("[data-testid=review-media]").ClassName);
    }

    [Fact]
    public async Task A_minor_safety_task_shows_no_image_until_the_reviewer_gives_a_reason_which_is_audited_and_then_shows_it_blurred()
    {
        var (post, taskId) = await HeldAsync(ImageReveals.HiddenQueue, "guard:minor-safety", $"a school portrait {Guid.NewGuid():N}");
        var moderator = await SignInAsync();
        var page = _context.Render<ReviewTaskPage>(parameters => parameters.Add(p => p.TaskId, taskId));
        page.WaitForAssertion(() => page.Find("[data-testid=hidden-media]"));
        Assert.Empty(page.FindAll("img"));
        Assert.DoesNotContain(post.Media.Sha256, page.Markup);

        await page.Find(".ais-task").KeyDownAsync(new KeyboardEventArgs { Key = "v" }); // V asks, as the button does
        page.WaitForAssertion(() => page.Find("[data-testid=reveal-form]"));
        await page.InvokeAsync(() => page.Find("[data-testid=reveal-form]").Submit());
        page.WaitForAssertion(() => Assert.Contains("Say why", page.Find(".mud-input-error").TextContent));
        Assert.Empty(page.FindAll("img"));

        await page.InvokeAsync(() => page.Find("input[data-testid=reveal-reason]").Input("the OCR text and the score disagree"));
        await page.InvokeAsync(() => page.Find("[data-testid=reveal-form]").Submit());

        page.WaitForAssertion(() => Assert.Contains("ais-blurred", page.Find("[data-testid=review-media]").ClassName));
        Assert.Contains(post.Media.Sha256, page.Find("[data-testid=review-media] img").GetAttribute("src"));
        Assert.Equal("the OCR text and the score disagree", await platform.ScalarAsync<string>(
            "select detail->>'reason' from ingest.audit_log where action = 'review.reveal-image' and actor_id = $1 and subject_id = $2",
            moderator.Id, post.Id.ToString()));
    }

    [Fact]
    public async Task The_minor_safety_queue_lists_its_tasks_without_their_images()
    {
        var (post, _) = await HeldAsync(ImageReveals.HiddenQueue, "guard:minor-safety", $"a playground {Guid.NewGuid():N}");
        await SignInAsync();
        var page = _context.Render<ReviewQueuePage>();
        page.WaitForAssertion(() => Assert.Contains(post.Prompt, page.Markup));

        await page.InvokeAsync(() => page.Find("[data-testid=queue-minor-safety]").Click());

        page.WaitForAssertion(() => Assert.Equal("guard:minor-safety", page.Find("tr.ais-selected [data-testid=review-rule]").TextContent.Replace("rule ", "").Trim()));
        Assert.Equal(ImageReveals.HiddenQueue, page.Find("tr.ais-selected [data-testid=review-queue]").TextContent.Trim());
        Assert.NotNull(page.Find("tr.ais-selected [data-testid=hidden-media]"));
        Assert.DoesNotContain(post.Media.Sha256, page.Markup);
        Assert.Contains("(level 4)", string.Join(" ", page.FindAll("tr.ais-selected [data-testid=review-signal]").Select(chip => chip.TextContent)));
    }

    [Fact]
    public async Task An_unknown_task_says_so()
    {
        await SignInAsync();
        var page = _context.Render<ReviewTaskPage>(parameters => parameters.Add(p => p.TaskId, Guid.NewGuid()));

        page.WaitForAssertion(() => page.Find("[data-testid=task-missing]"));
    }
}
