using AiSocial.AdminConsole.Components.Pages.Calibration;
using AiSocial.Ingest.Accounts;
using AiSocial.Moderation.Calibration;
using AiSocial.Moderation.Checks;
using AiSocial.Testing;
using Bunit;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The calibration page rendered with bUnit against reviewers' decisions stored in the database.</summary>
public sealed class CalibrationPageTests(PlatformFixture platform) : IClassFixture<PlatformFixture>, IAsyncDisposable
{
    private readonly BunitContext _context = new();

    public ValueTask DisposeAsync() => _context.DisposeAsync();

    private async Task<IRenderedComponent<CalibrationPage>> RenderAsync()
    {
        var moderator = await platform.CreateAccountAsync(Roles.Moderator);
        _context.Services.AddSingleton(platform.Get<CalibrationReports>());
        _context.SignIn(moderator, Roles.Moderator);
        return _context.Render<CalibrationPage>();
    }

    [Fact]
    public async Task Before_any_decision_the_page_says_calibration_needs_them_then_suggests_a_threshold_per_signal()
    {
        var page = await RenderAsync();
        page.WaitForAssertion(() => page.Find("[data-testid=calibration-empty]"));

        // Removed posts scored 0.9 and 0.8, approved ones 0.6 and 0.2: 0.65 is the lowest threshold with precision 1.
        var author = await platform.CreateAccountAsync();
        var reviewer = await platform.CreateAccountAsync(Roles.Moderator);
        foreach (var (decision, score) in new[] { ("remove", 0.9f), ("remove", 0.8f), ("approve", 0.6f), ("approve", 0.2f) })
        {
            var post = await platform.SubmitPostAsync(author.Id, prompt: $"decided {Guid.NewGuid():N}");
            await using (var connection = await platform.DataSource.OpenConnectionAsync())
            {
                await SignalStore.SaveAsync(connection, post.Id, [new Signal("nsfw", "test-1", "porn", score)], default);
            }

            await platform.ExecuteAsync(
                "insert into moderation.labels (post_id, source, reviewer_id, decision, policy_version) values ($1, 'human', $2, $3, 'test')",
                post.Id, reviewer.Id, decision);
        }

        await page.InvokeAsync(() => page.Find("[data-testid=calibration-form]").Submit());

        page.WaitForAssertion(() => Assert.Equal("0.65", page.Find("[data-key='nsfw/porn'] [data-testid=suggested]").TextContent));
        Assert.Contains("2 removed", page.Find("[data-testid=calibration-summary]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=use-threshold]")); // only the Policies page puts a threshold in a draft
        page.Find("[data-key='nsfw/porn'] [data-testid=calibration-details]").Click();
        Assert.Equal(19, page.FindAll("[data-testid=calibration-points] tbody tr").Count);
    }
}
