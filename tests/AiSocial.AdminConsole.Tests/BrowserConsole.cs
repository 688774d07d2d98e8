using AiSocial.Testing;
using Microsoft.Playwright;

namespace AiSocial.AdminConsole.Tests;

/// <summary>
/// The console on a real Kestrel server, and Debian's Chromium driven by Playwright (its driver comes with the NuGet
/// package; no browser is downloaded). <c>./aisocial test</c> installs chromium when it is missing.
/// </summary>
public sealed class BrowserConsole : ConsoleFixture
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>
    /// Generous: the suite runs on two cores that other test classes keep busy, and under <c>--stress</c> two CPU hogs
    /// besides; a page load there was seen to take over 30 s.
    /// </summary>
    public const float Timeout = 90_000;

    private IPlaywright? _playwright;
    private IBrowser? _chromium;

    protected override bool OnKestrel => true;

    protected override async Task StartAsync()
    {
        await base.StartAsync();
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: run the tests with ./aisocial test, which installs Debian's chromium.");
        }

        Assertions.SetDefaultExpectTimeout(Timeout);
        _playwright = await Playwright.CreateAsync();
        _chromium = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    protected override async ValueTask StopAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }

        _playwright?.Dispose();
        await base.StopAsync();
    }

    /// <summary>A fresh window (no cookies) of the given size on the console.</summary>
    public async Task<ConsoleWindow> OpenAsync(int width, int height)
    {
        var context = await _chromium!.NewContextAsync(new() { BaseURL = Address.ToString().TrimEnd('/'), ViewportSize = new() { Width = width, Height = height } });
        context.SetDefaultTimeout(Timeout);
        context.SetDefaultNavigationTimeout(Timeout);
        return new ConsoleWindow(context, await context.NewPageAsync());
    }
}

/// <summary>One browser window, recording what the console's pages report: policy violations and uncaught script errors.</summary>
public sealed class ConsoleWindow : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly List<string> _problems = [];

    public ConsoleWindow(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        // Chromium reports every Content-Security-Policy violation on the console, whatever the page does about it.
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                lock (_problems)
                {
                    _problems.Add($"{message.Type}: {message.Text}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_problems)
            {
                _problems.Add($"uncaught: {error}");
            }
        };
    }

    public IPage Page { get; }

    /// <summary>Signs in through the sign-in form as a person would, from wherever the console sent the window.</summary>
    public async Task SignInAsync(string handle, string password = TestPasswords.Default)
    {
        await Assertions.Expect(Page.GetByLabel("Handle")).ToBeVisibleAsync();
        await Page.GetByLabel("Handle").FillAsync(handle);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    public void AssertNoViolations()
    {
        lock (_problems)
        {
            Assert.True(_problems.Count == 0, string.Join("\n", _problems));
        }
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
