using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The consent page in Chromium as a moderator uses it, photographed under the test output's <c>screenshots/</c>.</summary>
public sealed class ConsentPageBrowserTests(BrowserConsole console) : IClassFixture<BrowserConsole>
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    [Fact]
    public async Task A_moderator_looks_up_an_accounts_ledger_and_sees_the_chain_check()
    {
        var person = await console.CreateAccountAsync();
        foreach (var (purpose, granted) in new[] { (ConsentPurposes.AiTraining, true), (ConsentPurposes.AiGenerativeTraining, true), (ConsentPurposes.AiTraining, false) })
        {
            await console.Get<ConsentLedger>().RecordAsync(new Actor(person.Id, person.Handle), person.Id,
                new ConsentChange(purpose, granted, "2026-11"), ConsentSource.Api("203.0.113.5"), default);
        }

        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        await using var window = await console.OpenAsync(1400, 900);
        var page = window.Page;
        await page.GotoAsync("/consent");
        await window.SignInAsync(moderator.Handle);
        await page.WaitForURLAsync("**/consent", new() { WaitUntil = WaitUntilState.Commit });
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Consent", Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=search]")).ToBeEnabledAsync(); // the page is live

        await page.Locator("input[data-testid=handle]").FillAsync(person.Handle);
        await page.Locator("input[data-testid=handle]").PressAsync("Enter");

        await Expect(page.Locator("[data-testid=chain-check]")).ToContainTextAsync("Chain OK");
        await Expect(page.Locator("[data-testid=ledger-event]")).ToHaveCountAsync(3);
        Directory.CreateDirectory(Screenshots);
        var path = Path.Combine(Screenshots, "consent-ledger.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 0, path);

        await page.GetByRole(AriaRole.Tab, new() { Name = "Terms versions" }).ClickAsync();
        await Expect(page.Locator("[data-testid=terms]")).ToContainTextAsync("2026-11");
        await Expect(page.Locator("[data-testid=publish-form]")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "consent-terms.png"), FullPage = true });
        window.AssertNoViolations();
    }
}
