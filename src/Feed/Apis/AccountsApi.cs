using System.Security.Claims;
using AiSocial.Ingest;
using AiSocial.Ingest.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

public sealed record SignUpRequest(string? Handle, string? DisplayName, string? Password, int? BirthYear);

public sealed record SignUpResponse(Guid Id, string Handle, string Token, DateTimeOffset TokenExpiresAt);

public sealed record SignInRequest(string? Handle, string? Password);

public sealed record SessionResponse(string Token, DateTimeOffset ExpiresAt);

public sealed record ProfileResponse(string Handle, string DisplayName, DateTimeOffset JoinedAt);

public sealed record MeResponse(Guid Id, string Handle, string DisplayName, int BirthYear, IReadOnlyList<string> Roles, DateTimeOffset JoinedAt);

/// <summary>Sign-up, sign-in (bearer tokens), sign-out and profiles.</summary>
public static class AccountsApi
{
    public static RouteGroupBuilder MapAccountsApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("").WithTags("Accounts");
        group.MapPost("/accounts", SignUp);
        group.MapGet("/accounts/{handle}", GetProfile);
        group.MapPost("/sessions", SignIn);
        group.MapDelete("/sessions/current", SignOut).RequireAuthorization();
        group.MapGet("/me", GetMe).RequireAuthorization();
        return group;
    }

    private static async Task<Created<SignUpResponse>> SignUp(SignUpRequest request, AccountRegistry accounts, AccessTokens tokens,
        CancellationToken cancellationToken)
    {
        var account = await accounts.RegisterAsync(new NewAccount(request.Handle, request.DisplayName, request.Password, request.BirthYear),
            [Roles.User], cancellationToken);
        var token = await tokens.IssueAsync(account.Id, cancellationToken);
        return TypedResults.Created($"/api/v1/accounts/{account.Handle}", new SignUpResponse(account.Id, account.Handle, token.Token, token.ExpiresAt));
    }

    private static async Task<Ok<SessionResponse>> SignIn(SignInRequest request, AccountRegistry accounts, AccessTokens tokens,
        CancellationToken cancellationToken)
    {
        var account = await accounts.VerifyPasswordAsync(request.Handle, request.Password, cancellationToken)
            ?? throw new RequestRejectedException(Problems.InvalidCredentials, "Handle or password is wrong.");
        var token = await tokens.IssueAsync(account.Id, cancellationToken);
        return TypedResults.Ok(new SessionResponse(token.Token, token.ExpiresAt));
    }

    private static async Task<NoContent> SignOut(HttpRequest request, AccessTokens tokens, CancellationToken cancellationToken)
    {
        string header = request.Headers.Authorization!;
        await tokens.RevokeAsync(header["Bearer ".Length..].Trim(), cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ProfileResponse>, ProblemHttpResult>> GetProfile(string handle, AccountRegistry accounts,
        CancellationToken cancellationToken) =>
        await accounts.FindByHandleAsync(handle, cancellationToken) is { } account
            ? TypedResults.Ok(new ProfileResponse(account.Handle, account.DisplayName, account.CreatedAt))
            : Problems.NotFound.AsResult($"There is no account @{handle}.");

    private static async Task<Ok<MeResponse>> GetMe(ClaimsPrincipal user, AccountRegistry accounts, CancellationToken cancellationToken)
    {
        var account = (await accounts.FindByIdAsync(user.AccountId(), cancellationToken))!;
        return TypedResults.Ok(new MeResponse(account.Id, account.Handle, account.DisplayName, account.BirthYear, account.Roles, account.CreatedAt));
    }
}
