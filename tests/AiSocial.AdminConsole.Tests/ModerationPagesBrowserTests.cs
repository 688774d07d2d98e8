using System.Text.RegularExpressions;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Creators;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Checks;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AiSocial.AdminConsole.Tests;

/// <summary>
/// The moderation pages issue 10 adds, in Chromium, as an admin uses them: each page is visited, photographed under
/// the test output's <c>screenshots/</c>, and must load without a Content-Security-Policy violation or script error.
/// </summary>
public sealed class ModerationPagesBrowserTests(BrowserConsole console) : IClassFixture<BrowserConsole>
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Screenshots);
        var path = Path.Combine(Screenshots, $"{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 0, path);
    }

    private async Task<ConsoleWindow> SignedInAsync(string path)
    {
        var admin = await console.CreateAccountAsync(Roles.Admin);
        var window = await console.OpenAsync(1280, 900);
        await window.Page.GotoAsync(path);
        await window.SignInAsync(admin.Handle);
        await window.Page.WaitForURLAsync($"**{path}", new() { WaitUntil = WaitUntilState.Commit });
        return window;
    }

    /// <summary>A post held in <paramref name="queue"/> by a stored decision, with a few signals, as the policy engine leaves it.</summary>
    private async Task<(Post Post, Guid TaskId)> HeldAsync(string queue, string prompt)
    {
        var post = await console.SubmitPostAsync((await console.CreateAccountAsync()).Id, prompt: prompt);
        await using (var connection = await console.DataSource.OpenConnectionAsync())
        {
            await SignalStore.SaveAsync(connection, post.Id,
                [new Signal("nsfw", "nsfw-test", "porn", 0.62), new Signal("minor-safety", "terms-1", "minor-presence", 1)], default);
        }

        var decisionId = await console.ScalarAsync<long>(
            """
            insert into moderation.decisions (post_id, policy_version, mode, action, rule_id, queue, priority, reason, signals_read)
            values ($1, 1, 'live', 'hold', 'guard:minor-safety', $2, 100, 'minor presence with a sexual signal', '[{"source": "nsfw", "category": "porn"}]')
            returning id
            """, post.Id, queue);
        var taskId = Guid.CreateVersion7();
        await console.ExecuteAsync(
            """
            insert into moderation.review_tasks (id, post_id, reason, priority, policy_version, queue, rule_id, decision_id)
            values ($1, $2, 'minor presence with a sexual signal', 100, 'v1', $3, 'guard:minor-safety', $4)
            """, taskId, post.Id, queue, decisionId);
        return (post, taskId);
    }

    [Fact]
    public async Task The_blocklists_page_adds_and_unblocks_a_term()
    {
        await using var window = await SignedInAsync("/blocklists");
        var page = window.Page;
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Blocklists" })).ToBeVisibleAsync();
        var term = $"blocked{Guid.NewGuid():N}"[..20];
        await Expect(page.Locator("[data-testid=add]")).ToBeEnabledAsync(); // the page is live: the form is handled by it

        await page.Locator("input[data-testid=term]").FillAsync(term);
        await page.Locator("input[data-testid=rule]").FillAsync("violence");
        await page.Locator("input[data-testid=rule]").PressAsync("Enter"); // the form submits on Enter
        await Expect(page.Locator("[data-testid=blocklist]")).ToContainTextAsync(term);
        await ScreenshotAsync(page, "blocklists");

        await page.GetByRole(AriaRole.Button, new() { Name = $"Unblock {term}" }).ClickAsync();
        await Expect(page.Locator("[data-testid=blocklist]")).Not.ToContainTextAsync(term);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Minor-safety terms" }).ClickAsync();
        await Expect(page.Locator("[data-testid=minor-terms]")).ToContainTextAsync("Kleinkind"); // German comes first: by language, then term
        await ScreenshotAsync(page, "blocklists-minor-safety");
        window.AssertNoViolations();
    }

    [Fact]
    public async Task A_minor_safety_task_shows_its_rule_and_signals_and_its_image_only_after_a_reason_is_given()
    {
        var (post, taskId) = await HeldAsync("minor-safety", $"a held post for the browser {Guid.NewGuid():N}");
        await using var window = await SignedInAsync($"/review/tasks/{taskId}");
        var page = window.Page;
        await Expect(page.Locator("[data-testid=task-rule]")).ToHaveTextAsync("guard:minor-safety");
        await Expect(page.Locator("[data-testid=task-signal]")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=hidden-media]")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator($"img[src*='{post.Media.Sha256}']").CountAsync());
        await ScreenshotAsync(page, "review-task-hidden");

        await Expect(page.Locator("[data-testid=show-image]")).ToBeEnabledAsync(); // the page is live
        await page.Locator("[data-testid=show-image]").ClickAsync();
        await page.Locator("input[data-testid=reveal-reason]").FillAsync("the caption and the scores disagree");
        await page.Locator("[data-testid=confirm-reveal]").ClickAsync();

        var image = page.Locator($"[data-testid=review-media] img[src*='{post.Media.Sha256}']");
        await Expect(page.Locator("[data-testid=review-media]")).ToHaveClassAsync(new Regex("ais-blurred"));
        await Expect(image).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("img => img.complete && img.naturalWidth > 0", await image.ElementHandleAsync());
        await ScreenshotAsync(page, "review-task-revealed");
        window.AssertNoViolations();
    }

    [Fact]
    public async Task The_review_queue_filters_by_queue_and_links_each_task_to_its_view()
    {
        await console.ExecuteAsync("update moderation.review_tasks set state = 'decided' where state = 'open'");
        var (post, taskId) = await HeldAsync("escalation", $"an escalated post {Guid.NewGuid():N}");
        await using var window = await SignedInAsync("/review");
        var page = window.Page;
        // The prerendered page already shows the one open task selected; a click or a key before the circuit is live is lost.
        await Expect(page.Locator("tr.ais-selected [data-testid=approve]")).ToBeEnabledAsync();

        await page.Locator("[data-testid=queue-escalation]").ClickAsync();
        await Expect(page.Locator("[data-testid=queue-escalation]")).ToHaveClassAsync(new Regex("mud-button-filled"));
        await Expect(page.Locator("[data-testid=queue-all]")).ToHaveClassAsync(new Regex("mud-button-outlined"));
        await Expect(page.Locator("tr.ais-selected [data-testid=review-queue]")).ToHaveTextAsync("escalation");
        await ScreenshotAsync(page, "review-queue-escalation");
        await page.Locator("tr.ais-selected [data-testid=task-details]").ClickAsync();

        await page.WaitForURLAsync($"**/review/tasks/{taskId}");
        await Expect(page.Locator("[data-testid=task-prompt]")).ToHaveTextAsync(post.Prompt);
        window.AssertNoViolations();
    }

    [Fact]
    public async Task The_calibration_and_policies_pages_load_and_a_draft_is_created_and_backtested()
    {
        await using var window = await SignedInAsync("/calibration");
        var page = window.Page;
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Calibration" })).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=calibration-empty], [data-testid=calibration]").First).ToBeVisibleAsync();
        await ScreenshotAsync(page, "calibration");

        await page.GotoAsync("/policies");
        await Expect(page.Locator("[data-testid=version-row]").First).ToBeVisibleAsync();
        await page.Locator("[data-testid=new-draft]").ClickAsync();
        await Expect(page.Locator("[data-testid=selected-version]")).ToContainTextAsync("draft");
        await page.Locator("[data-testid=backtest]").ClickAsync();
        await Expect(page.Locator("[data-testid=backtest-summary]")).ToContainTextAsync("would be decided differently");
        await ScreenshotAsync(page, "policies-draft");

        await page.Locator("[data-testid=activate]").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToContainTextAsync("Activate");
        await ScreenshotAsync(page, "policies-activate-confirmation");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(page.Locator("[data-testid=selected-version]")).ToContainTextAsync("draft");
        window.AssertNoViolations();
    }

    [Fact]
    public async Task The_creators_page_verifies_a_claim_and_is_refused_to_an_ml_engineer()
    {
        var creator = await console.CreateAccountAsync();
        var value = $"Ségolène Dupont {Guid.NewGuid():N}"[..24];
        var claim = (await console.Get<CreatorOptOuts>().RegisterAsync(new Actor(creator.Id, creator.Handle), creator.Id,
            new OptOutDraft(OptOutKinds.Name, value, OptOutEnforcements.Strip), default)).Value;
        await using (var window = await SignedInAsync("/creators"))
        {
            var page = window.Page;
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Creators" })).ToBeVisibleAsync();
            await Expect(page.Locator("[data-testid=optouts]")).ToContainTextAsync(value);
            await ScreenshotAsync(page, "creators-pending");

            await page.GetByRole(AriaRole.Button, new() { Name = $"Verify {value}" }).ClickAsync();
            await Expect(page.Locator("[data-testid=optouts]")).Not.ToContainTextAsync(value);
            await page.Locator("[data-testid=status-verified]").ClickAsync();
            await Expect(page.Locator("[data-testid=optouts]")).ToContainTextAsync(value);
            await ScreenshotAsync(page, "creators-verified");
            Assert.Equal("verified", await console.ScalarAsync<string>("select status from ingest.creator_optouts where id = $1", claim.Id));
            window.AssertNoViolations();
        }

        var engineer = await console.CreateAccountAsync(Roles.MlEngineer);
        await using var refused = await console.OpenAsync(1280, 900);
        await refused.Page.GotoAsync("/creators");
        await refused.SignInAsync(engineer.Handle);
        await Expect(refused.Page.GetByText("Your role does not allow this page")).ToBeVisibleAsync();
        Assert.Equal(0, await refused.Page.Locator("[data-testid=optouts]").CountAsync());
    }
}
