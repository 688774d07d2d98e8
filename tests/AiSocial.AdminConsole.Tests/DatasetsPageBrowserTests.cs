using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The datasets page in Chromium as an ML engineer uses it, photographed under the test output's <c>screenshots/</c>.</summary>
public sealed class DatasetsPageBrowserTests(BrowserConsole console) : IClassFixture<BrowserConsole>
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    [Fact]
    public async Task An_ml_engineer_opens_a_finished_runs_manifest_and_downloads_a_file_from_it()
    {
        var name = $"ds-{Guid.NewGuid():N}"[..16];
        await console.Get<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec { Name = name, Description = "for the browser", Purpose = ConsentPurposes.AiTraining }, default);
        var output = Path.Combine(Directory.CreateTempSubdirectory("aisocial-browser-").FullName, "run");
        var run = (await console.Get<ExportRunner>().RunAsync(name, Actor.System("test"), ExportRunKind.Full, output, null, default)).Value;
        var engineer = await console.CreateAccountAsync(Roles.MlEngineer);
        await using var window = await console.OpenAsync(1400, 1000);
        var page = window.Page;

        await page.GotoAsync("/datasets");
        await window.SignInAsync(engineer.Handle);
        await page.WaitForURLAsync("**/datasets", new() { WaitUntil = WaitUntilState.Commit });
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Datasets", Exact = true })).ToBeVisibleAsync();
        var row = page.Locator("tr", new() { Has = page.Locator("[data-testid=dataset-name]", new() { HasTextString = name }) });
        await Expect(row).ToContainTextAsync("succeeded");
        await Expect(row.Locator("[data-testid=open]")).ToBeEnabledAsync(); // the page is live
        await row.Locator("[data-testid=open]").ClickAsync();

        await Expect(page.Locator("[data-testid=run-status]")).ToHaveTextAsync("succeeded");
        await page.Locator("[data-testid=show-manifest]").ClickAsync();
        await Expect(page.Locator("[data-testid=manifest]")).ToContainTextAsync(run.RunId.ToString());
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "datasets-manifest.png"), FullPage = true });

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=download]").First.ClickAsync());
        var saved = await download.PathAsync();

        // The first link is the first shard in the manifest (splits in name order); its bytes are the published file's.
        Assert.Matches("^(train|validation|test)-00000-of-00001\\.parquet$", download.SuggestedFilename);
        Assert.Null(await download.FailureAsync());
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(output, "data", download.SuggestedFilename)), await File.ReadAllBytesAsync(saved));
        window.AssertNoViolations();
    }
}
