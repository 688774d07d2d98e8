using AiSocial.AdminConsole.Components.Pages.Review;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;
using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The review queue page rendered with bUnit against the real review queue and database.</summary>
public sealed class ReviewQueuePageTests(PlatformFixture platform) : IClassFixture<PlatformFixture>, IAsyncDisposable
{
    private readonly BunitContext _context = new();

    public ValueTask DisposeAsync() => _context.DisposeAsync();

    private async Task<IRenderedComponent<ReviewQueuePage>> RenderAsModeratorAsync()
    {
        var moderator = await platform.CreateAccountAsync(Roles.Moderator);
        _context.Services.AddSingleton(platform.Get<ReviewQueue>());
        _context.Services.AddSingleton(platform.Get<Moderation.Protections.ImageReveals>());
        _context.SignIn(moderator, Roles.Moderator);
        return _context.Render<ReviewQueuePage>();
    }

    private async Task<Post> QueuedPostAsync(string prompt, byte[]? image = null)
    {
        await platform.HoldEveryPostAsync();
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, image, prompt: prompt);
        await platform.Get<PostScanner>().ScanUntilIdleAsync(default);

        return post;
    }

    // The decision is written by the page's handler, which the key press or click starts but does not wait for.
    private async Task<IReadOnlyList<Moderation.Review.ModerationLabel>> WaitForLabelsAsync(Guid postId)
    {
        var deadline = DateTime.UtcNow + ConsolePageContext.RenderWait;
        while (true)
        {
            var labels = await platform.Get<LabelStore>().ForPostAsync(postId, default);
            if (labels.Count > 0 || DateTime.UtcNow > deadline)
            {
                return labels;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Three queued posts, rendered, in the order the page shows them.</summary>
    private async Task<(IRenderedComponent<ReviewQueuePage> Page, Post[] Posts)> ThreeTasksAsync()
    {
        await platform.ExecuteAsync("update moderation.review_tasks set state = 'decided' where state = 'open'");
        var posts = new List<Post>();
        foreach (var subject in new[] { "a heron", "a kite", "a tram" })
        {
            posts.Add(await QueuedPostAsync($"{subject} {Guid.NewGuid():N}"));
        }

        var page = await RenderAsModeratorAsync();
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=review-prompt]").Count), TimeSpan.FromSeconds(10));
        var shown = page.FindAll("[data-testid=review-prompt]").Select(prompt => prompt.TextContent).ToList();
        return (page, [.. posts.OrderBy(post => shown.IndexOf(post.Prompt))]);
    }

    private static IElement Row(IRenderedComponent<ReviewQueuePage> page, Post post) =>
        page.FindAll("tr").Single(row => row.QuerySelector("[data-testid=review-prompt]")?.TextContent == post.Prompt);

    // Found and clicked in one go on the renderer's thread: the grid may render again in between otherwise.
    private static async Task SelectAsync(IRenderedComponent<ReviewQueuePage> page, Post post)
    {
        await page.InvokeAsync(() => Row(page, post).Click());
        WaitForSelected(page, post);
    }

    private static Task RefreshAsync(IRenderedComponent<ReviewQueuePage> page) => page.InvokeAsync(() => page.Find("[data-testid=refresh]").Click());

    private static void WaitForSelected(IRenderedComponent<ReviewQueuePage> page, Post post) =>
        page.WaitForAssertion(() => Assert.Equal(post.Prompt, Assert.Single(page.FindAll("tr.ais-selected [data-testid=review-prompt]")).TextContent),
            TimeSpan.FromSeconds(10));

    private async Task DecideAsAnotherReviewerAsync(Post post, ReviewDecision decision)
    {
        var reviewer = await platform.CreateAccountAsync(Roles.Moderator);
        var queue = platform.Get<ReviewQueue>();
        var task = (await queue.ListOpenAsync(0, 100, default)).Items.Single(item => item.Post.Id == post.Id);
        var decided = await queue.DecideAsync(task.TaskId, new Actor(reviewer.Id, reviewer.Handle), decision, shownBlurred: true, note: null, default);
        Assert.Null(decided.Refusal);
    }

    private async Task<PostStatus> StatusOfAsync(Post post) => (await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status;

    [Fact]
    public async Task A_key_decides_the_selected_task_even_after_another_reviewers_decision_moves_the_rows()
    {
        var (page, posts) = await ThreeTasksAsync();
        var (above, selected, below) = (posts[0], posts[1], posts[2]);
        await SelectAsync(page, selected);

        await DecideAsAnotherReviewerAsync(above, ReviewDecision.Remove);
        await RefreshAsync(page);
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=review-prompt]").Count), TimeSpan.FromSeconds(10));
        WaitForSelected(page, selected);
        await page.Find(".ais-queue").KeyDownAsync(new KeyboardEventArgs { Key = "a" });

        var label = Assert.Single(await WaitForLabelsAsync(selected.Id));
        Assert.Equal(LabelDecision.Approve, label.Decision);
        Assert.Equal(PostStatus.Published, await StatusOfAsync(selected));
        Assert.Equal(PostStatus.Pending, await StatusOfAsync(below));
        Assert.Empty(await platform.Get<LabelStore>().ForPostAsync(below.Id, default));
        Assert.Equal(PostStatus.Removed, await StatusOfAsync(above));
        Assert.Single(await platform.Get<LabelStore>().ForPostAsync(above.Id, default)); // only the other reviewer's
    }

    [Fact]
    public async Task O_opens_the_selected_task()
    {
        // The browser test reaches the task page through the Details link; the shortcut is checked here.
        var (page, posts) = await ThreeTasksAsync();
        await SelectAsync(page, posts[1]);
        var task = await platform.ScalarAsync<Guid>("select id from moderation.review_tasks where post_id = $1 and state = 'open'", posts[1].Id);

        await page.Find(".ais-queue").KeyDownAsync(new KeyboardEventArgs { Key = "o" });

        page.WaitForAssertion(() => Assert.EndsWith($"/review/tasks/{task}",
            _context.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_key_decides_nothing_once_the_selected_task_was_decided_elsewhere()
    {
        var (page, posts) = await ThreeTasksAsync();
        await SelectAsync(page, posts[1]);

        await DecideAsAnotherReviewerAsync(posts[1], ReviewDecision.Approve);
        await RefreshAsync(page);
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=review-prompt]").Count), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("tr.ais-selected"));
        await page.Find(".ais-queue").KeyDownAsync(new KeyboardEventArgs { Key = "r" });

        page.WaitForAssertion(() => Assert.Contains(_context.Services.GetRequiredService<ISnackbar>().ShownSnackbars,
            snackbar => snackbar.Message?.Contains("select a task first", StringComparison.Ordinal) == true), TimeSpan.FromSeconds(10));
        Assert.Equal((PostStatus.Pending, PostStatus.Pending), (await StatusOfAsync(posts[0]), await StatusOfAsync(posts[2])));
        Assert.Equal(2, await platform.ScalarAsync<long>("select count(*) from moderation.review_tasks where state = 'open'"));
    }

    [Fact]
    public async Task After_a_decision_the_next_task_is_selected_and_shown_blurred()
    {
        var (page, posts) = await ThreeTasksAsync();
        await SelectAsync(page, posts[2]);
        await page.Find(".ais-queue").KeyDownAsync(new KeyboardEventArgs { Key = "v" }); // the moderator looked at the last one
        page.WaitForAssertion(() => Assert.Contains("ais-revealed", Row(page, posts[2]).QuerySelector("[data-testid=review-media]")!.ClassName));
        await SelectAsync(page, posts[1]);

        await page.Find(".ais-queue").KeyDownAsync(new KeyboardEventArgs { Key = "a" });

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=review-prompt]").Count), TimeSpan.FromSeconds(10));
        WaitForSelected(page, posts[2]);
        Assert.Contains("ais-blurred", Row(page, posts[2]).QuerySelector("[data-testid=review-media]")!.ClassName);
        Assert.Equal(PostStatus.Published, await StatusOfAsync(posts[1]));
        Assert.Equal((PostStatus.Pending, PostStatus.Pending), (await StatusOfAsync(posts[0]), await StatusOfAsync(posts[2])));
    }

    [Fact]
    public async Task Media_stays_blurred_until_revealed_and_the_A_key_approves_and_publishes_the_selected_post()
    {
        await platform.ExecuteAsync("update moderation.review_tasks set state = 'decided' where state = 'open'");
        var post = await QueuedPostAsync($"a lantern in fog {Guid.NewGuid():N}");
        var page = await RenderAsModeratorAsync();

        page.WaitForAssertion(() => Assert.Contains(post.Prompt, page.Markup));
        var media = page.Find("[data-testid=review-media]");
        Assert.Contains("ais-blurred", media.ClassName);
        Assert.Contains("1 open", page.Find("[data-testid=queue-total]").TextContent);

        media.Click();
        page.WaitForAssertion(() => Assert.Contains("ais-revealed", page.Find("[data-testid=review-media]").ClassName));
        await page.Find(".ais-queue").KeyDownAsync(new KeyboardEventArgs { Key = "a" });

        var label = Assert.Single(await WaitForLabelsAsync(post.Id));
        Assert.Equal((LabelDecision.Approve, (bool?)false), (label.Decision, label.ShownBlurred));
        Assert.Equal(PostStatus.Published, (await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status);
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=queue-empty]")));
    }

    [Fact]
    public async Task The_remove_button_takes_a_post_down_recording_that_it_was_judged_blurred()
    {
        await platform.ExecuteAsync("update moderation.review_tasks set state = 'decided' where state = 'open'");
        var post = await QueuedPostAsync($"a storm over a lighthouse {Guid.NewGuid():N}");
        var page = await RenderAsModeratorAsync();
        page.WaitForAssertion(() => Assert.Contains(post.Prompt, page.Markup));

        await page.InvokeAsync(() => page.Find("[data-testid=remove]").Click());

        var label = Assert.Single(await WaitForLabelsAsync(post.Id));
        Assert.Equal((LabelDecision.Remove, (bool?)true), (label.Decision, label.ShownBlurred));
        Assert.Equal(PostStatus.Removed, (await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status);
    }

    [Fact]
    public async Task An_empty_queue_says_so()
    {
        await platform.ExecuteAsync("update moderation.review_tasks set state = 'decided' where state = 'open'");
        var page = await RenderAsModeratorAsync();

        page.WaitForAssertion(() => Assert.Contains("The queue is empty", page.Find("[data-testid=queue-empty]").TextContent));
    }

    [Fact]
    public async Task The_text_read_from_the_image_is_shown_and_only_worrying_scores_are_marked()
    {
        await platform.ExecuteAsync("update moderation.review_tasks set state = 'decided' where state = 'open'");
        var post = await QueuedPostAsync($"a shop sign {Guid.NewGuid():N}", TestImages.WithText("CLOSED ON SUNDAYS"));
        var page = await RenderAsModeratorAsync();

        page.WaitForAssertion(() => Assert.Contains(post.Prompt, page.Markup));
        Assert.Contains("CLOSED ON SUNDAYS", page.Find("[data-testid=review-image-text]").TextContent);
        var chips = page.FindAll("[data-testid=review-signal]");
        Assert.DoesNotContain(chips, chip => chip.TextContent.Contains("ocr", StringComparison.Ordinal));
        var neutral = Assert.Single(chips, chip => chip.TextContent.Contains("nsfw · neutral", StringComparison.Ordinal));
        Assert.True(double.Parse(neutral.TextContent.Trim().Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture) >= 0.5, neutral.TextContent);
        Assert.DoesNotContain("error", neutral.ClassName, StringComparison.Ordinal);
    }
}
