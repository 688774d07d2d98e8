using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using MudBlazor.Services;

namespace AiSocial.AdminConsole.Tests;

/// <summary>What every console page rendered with bUnit needs: MudBlazor, its providers, and a signed-in staff member.</summary>
public static class ConsolePageContext
{
    /// <summary>
    /// How long a page test waits for the render it needs. A page that reads the database renders again when the query
    /// returns, which on a loaded machine can take many seconds: bUnit's default (one second) made such tests flake.
    /// </summary>
    public static readonly TimeSpan RenderWait = TimeSpan.FromSeconds(60);

    public static void SignIn(this BunitContext context, Ingest.Accounts.Account account, string role)
    {
        BunitContext.DefaultWaitTimeout = RenderWait;
        context.Services.AddMudServices();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.AddAuthorization()
            .SetAuthorized(account.Handle)
            .SetRoles(role)
            .SetClaims(new Claim(ClaimTypes.NameIdentifier, account.Id.ToString()));
        context.SetRendererInfo(new RendererInfo("Server", isInteractive: true)); // as the console renders its pages once live
        context.Render<MudPopoverProvider>(); // grids' pagers and menus open popovers
        context.Render<MudSnackbarProvider>();
    }
}
