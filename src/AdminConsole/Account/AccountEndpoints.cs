using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.AdminConsole.Account;

/// <summary>Signing out (sign-in is the <c>/signin</c> page); both are audited.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // A form post, so antiforgery validation applies.
        endpoints.MapPost("/account/signout", SignOut).RequireAuthorization().ExcludeFromDescription();
        return endpoints;
    }

    private static async Task<RedirectHttpResult> SignOut(HttpContext context, AuditLog audit, StaffSessions sessions,
        [Microsoft.AspNetCore.Mvc.FromForm] string? reason)
    {
        // Ended on the server first: a copy of the cookie kept anywhere is worthless from now on.
        if (context.User.SessionId() is { } session)
        {
            await sessions.EndAsync(session, "signed out", context.RequestAborted);
        }

        await audit.AppendAsync(context.User.ToActor(), "staff.signout", "account", context.User.AccountId().ToString(), new { reason },
            context.RequestAborted);

        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.LocalRedirect("/signin");
    }
}
