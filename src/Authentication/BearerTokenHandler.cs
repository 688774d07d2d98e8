using System.Text.Encodings.Web;
using AiSocial.Ingest;
using AiSocial.Ingest.Accounts;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiSocial.Authentication;

/// <summary>Authenticates <c>Authorization: Bearer ais_…</c> against <see cref="AccessTokens"/>; challenges answer with a problem.</summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AccessTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string TokenRejected = "aisocial.token-rejected";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            Context.Items[TokenRejected] = true;
            return AuthenticateResult.Fail("Authorization header is not a bearer token.");
        }

        var account = await tokens.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (account is null)
        {
            Context.Items[TokenRejected] = true;
            return AuthenticateResult.Fail("Unknown, expired or revoked token.");
        }

        return AuthenticateResult.Success(new AuthenticationTicket(account.ToPrincipal(Scheme.Name), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var problem = Context.Items.ContainsKey(TokenRejected) ? IngestProblems.InvalidToken : CommonProblems.Unauthorized;
        Response.Headers.WWWAuthenticate = problem == IngestProblems.InvalidToken ? "Bearer error=\"invalid_token\"" : "Bearer";
        await ProblemResponses.WriteAsync(Context, problem, problem.Title);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ProblemResponses.WriteAsync(Context, CommonProblems.Forbidden, CommonProblems.Forbidden.Title);
}
