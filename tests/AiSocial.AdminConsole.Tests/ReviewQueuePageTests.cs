using AiSocial.AdminConsole.Components.Pages.Review;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;
using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;

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
        _context.SignIn(moderator, Roles.Moderator);
        return _context.Render<ReviewQueuePage>();
    }

    private async Task<Post> QueuedPostAsync(string prompt, byte[]? image = null)
    {
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

        page.Find("[data-testid=remove]").Click();

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
