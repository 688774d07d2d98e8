using System.Text.RegularExpressions;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Scanning;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The console in Chromium as a moderator uses it: on a small laptop screen, with the keyboard.</summary>
public sealed class ReviewQueueBrowserTests(BrowserConsole console) : IClassFixture<BrowserConsole>
{
    private async Task<Post[]> QueueAsync(params string[] prompts)
    {
        await console.ExecuteAsync("update moderation.review_tasks set state = 'decided' where state = 'open'");
        var author = await console.CreateAccountAsync();
        var posts = new List<Post>();
        foreach (var prompt in prompts)
        {
            posts.Add(await console.SubmitPostAsync(author.Id, prompt: prompt));
        }

        await console.HoldEveryPostAsync();
        await console.Get<PostScanner>().ScanUntilIdleAsync(default);
        return [.. posts];
    }

    private async Task<PostStatus> StatusOfAsync(Post post) => (await console.Get<PostStore>().GetAsync(post.Id, default))!.Status;

    /// <summary>The task's image, prompt and both buttons wholly on screen, and nothing to scroll sideways for.</summary>
    private static async Task AssertInViewAsync(IPage page, ILocator task)
    {
        foreach (var part in new[] { "[data-testid=review-media]", "[data-testid=review-prompt]", "[data-testid=approve]", "[data-testid=remove]" })
        {
            await Expect(task.Locator(part)).ToBeInViewportAsync(new() { Ratio = 1 });
        }

        Assert.True(await page.EvaluateAsync<bool>(
            "() => [document.documentElement, ...document.querySelectorAll('.mud-table-container')].every(e => e.scrollWidth <= e.clientWidth)"),
            "The page or the queue scrolls sideways.");
    }

    [Theory]
    [InlineData(1024, 768)]
    [InlineData(1280, 800)]
    public async Task The_selected_task_and_its_buttons_fit_the_window_and_A_decides_only_that_task(int width, int height)
    {
        var posts = await QueueAsync(
            $"a lighthouse keeper reading by lamplight in a winter storm {Guid.NewGuid():N}",
            string.Concat(Enumerable.Repeat("a long prompt of the kind people paste, clause after clause of lighting and lens and mood, ", 14)) +
            Guid.NewGuid().ToString("N"),
            $"macro photo of a dew drop on a spider web {Guid.NewGuid():N}");
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        await using var window = await console.OpenAsync(width, height);
        var page = window.Page;

        await page.GotoAsync("/review");
        await window.SignInAsync(moderator.Handle);
        // Arriving is enough: the expectations below wait for what they need, not for every resource to load.
        await page.WaitForURLAsync("**/review", new() { WaitUntil = WaitUntilState.Commit });
        var prompts = page.Locator("[data-testid=review-prompt]");
        await Expect(prompts).ToHaveCountAsync(3);
        var shown = (await prompts.AllInnerTextsAsync()).Select(text => text.Trim()).ToList();
        var queued = posts.OrderBy(post => shown.IndexOf(post.Prompt)).ToArray();
        var selected = page.Locator("tr.ais-selected");
        await Expect(selected.Locator("[data-testid=review-prompt]")).ToHaveTextAsync(queued[0].Prompt);
        await Expect(selected.Locator("[data-testid=approve]")).ToBeEnabledAsync(); // the page is live: keys reach it
        await AssertInViewAsync(page, selected);

        await page.Locator(".ais-queue").PressAsync("j");
        await Expect(selected.Locator("[data-testid=review-prompt]")).ToHaveTextAsync(queued[1].Prompt);
        await AssertInViewAsync(page, selected);
        await page.Locator(".ais-queue").PressAsync("a");

        await Expect(prompts).ToHaveCountAsync(2);
        await Expect(selected.Locator("[data-testid=review-prompt]")).ToHaveTextAsync(queued[2].Prompt);
        await Expect(selected.Locator("[data-testid=review-media]")).ToHaveClassAsync(new Regex("ais-blurred"));
        await AssertInViewAsync(page, selected);
        Assert.Equal([PostStatus.Pending, PostStatus.Published, PostStatus.Pending],
            [await StatusOfAsync(queued[0]), await StatusOfAsync(queued[1]), await StatusOfAsync(queued[2])]);
        window.AssertNoViolations();
    }

    [Fact]
    public async Task An_unknown_address_shows_the_consoles_not_found_page_with_a_way_back()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        await using var window = await console.OpenAsync(1280, 800);
        var page = window.Page;
        await page.GotoAsync("/signin");
        await window.SignInAsync(moderator.Handle);
        var overview = page.GetByRole(AriaRole.Heading, new() { Name = "Overview" });
        await Expect(overview).ToBeVisibleAsync();

        var response = await page.GotoAsync("/no-such-page");

        Assert.Equal(404, response!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync();
        await Expect(page.Locator("body")).Not.ToContainTextAsync("urn:aisocial");
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to the overview" }).ClickAsync();
        await Expect(overview).ToBeVisibleAsync();
        window.AssertNoViolations();
    }
}
