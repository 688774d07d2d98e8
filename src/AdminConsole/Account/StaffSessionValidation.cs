using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace AiSocial.AdminConsole.Account;

/// <summary>
/// Checks a console cookie's session on the server on every request: signed out, expired, suspended, or started
/// before the account's last change (a role removed, a new password) means the cookie no longer signs anyone in.
/// </summary>
internal static class StaffSessionValidation
{
    public static async Task<bool> IsLiveAsync(IServiceProvider services, ClaimsPrincipal principal, CancellationToken cancellationToken) =>
        principal.Identity?.IsAuthenticated == true
        && principal.SessionId() is { } session
        && Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var account)
        && await services.GetRequiredService<StaffSessions>().IsLiveAsync(session, account, cancellationToken);

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (!await IsLiveAsync(context.HttpContext.RequestServices, context.Principal!, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }
}

/// <summary>
/// The same check for a page that stays open (a Blazor circuit outlives the request that started it): every
/// <see cref="RevalidationInterval"/>, an ended session signs the page out, which sends it to the sign-in page.
/// </summary>
internal sealed class StaffSessionRevalidation(ILoggerFactory loggers, IServiceScopeFactory scopes)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(30);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await StaffSessionValidation.IsLiveAsync(scope.ServiceProvider, authenticationState.User, cancellationToken);
    }

    /// <summary>What the next revalidation will conclude, and how long until it runs (for tests).</summary>
    internal async Task<(bool Live, TimeSpan Within)> CheckAsync(AuthenticationState state) =>
        (await ValidateAuthenticationStateAsync(state, CancellationToken.None), RevalidationInterval);
}
