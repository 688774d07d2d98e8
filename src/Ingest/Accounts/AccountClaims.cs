using System.Security.Claims;

namespace AiSocial.Ingest.Accounts;

/// <summary>How an account travels in a <see cref="ClaimsPrincipal"/>, for bearer tokens and console cookies alike.</summary>
public static class AccountClaims
{
    /// <summary>The server-side console session a cookie stands for (<see cref="StaffSessions"/>).</summary>
    public const string SessionIdType = "aisocial:session";

    public static ClaimsPrincipal ToPrincipal(this Account account, string authenticationType, StaffSession? session = null)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, account.Id.ToString()),
            new(ClaimTypes.Name, account.Handle),
            new("display_name", account.DisplayName),
        };
        if (session is not null)
        {
            claims.Add(new Claim(SessionIdType, session.Id.ToString()));
        }

        claims.AddRange(account.Roles.Select(role => new Claim(ClaimTypes.Role, role)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static Guid AccountId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            ? id
            : throw new InvalidOperationException("The principal is not signed in.");

    /// <summary>The console session the principal was signed in with, if it came from a console cookie.</summary>
    public static Guid? SessionId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(SessionIdType), out var id) ? id : null;

    public static Audit.Actor ToActor(this ClaimsPrincipal principal) =>
        new(principal.AccountId(), principal.Identity?.Name ?? "unknown");
}
