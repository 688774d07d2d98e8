using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using MudBlazor.Services;

namespace AiSocial.AdminConsole.Tests;

/// <summary>What every console page rendered with bUnit needs: MudBlazor, its providers, and a signed-in staff member.</summary>
public static class ConsolePageContext
{
    public static void SignIn(this BunitContext context, Ingest.Accounts.Account account, string role)
    {
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
