using AiSocial.AdminConsole.Components.Layout;
using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor.Services;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The console's frame around every page, rendered with bUnit as it runs once a page is live.</summary>
public sealed class MainLayoutTests : IAsyncDisposable
{
    private readonly BunitContext _context = new();

    public ValueTask DisposeAsync() => _context.DisposeAsync();

    private sealed class FailingPage : ComponentBase
    {
        protected override void OnInitialized() => throw new InvalidOperationException("the database went away");
    }

    [Fact]
    public void A_live_page_that_fails_shows_the_error_notice_inside_the_console_and_not_the_exception()
    {
        _context.Services.AddMudServices();
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.AddAuthorization().SetAuthorized("a_moderator");
        _context.SetRendererInfo(new RendererInfo("Server", isInteractive: true));

        var layout = _context.Render<MainLayout>(parameters => parameters.Add(p => p.Body, builder =>
        {
            builder.OpenComponent<FailingPage>(0);
            builder.CloseComponent();
        }));

        var notice = layout.Find("[data-testid=error-page]");
        Assert.Contains("Something went wrong", notice.TextContent);
        Assert.Equal("/", layout.Find("[data-testid=back]").GetAttribute("href"));
        Assert.DoesNotContain("the database went away", layout.Markup);
        Assert.Contains("AiSocial console", layout.Markup); // the frame, and its menu, are still there
    }
}
