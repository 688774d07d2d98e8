using Microsoft.AspNetCore.Authentication;

namespace AiSocial.Authentication;

/// <summary>The platform's bearer tokens, as <c>POST /api/v1/sessions</c> issues them: one account store for both hosts.</summary>
public static class BearerTokens
{
    /// <summary>The scheme for <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public const string Scheme = "Bearer";

    /// <summary>Accepts the platform's bearer tokens; 401 and 403 answer with problems.</summary>
    public static AuthenticationBuilder AddBearerTokens(this AuthenticationBuilder authentication) =>
        authentication.AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(Scheme, null);
}
