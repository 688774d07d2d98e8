using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using AiSocial.Ingest;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Social;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AiSocial.Feed.Apis;

public sealed record SignUpRequest(
    [Required(ErrorMessage = AccountRegistry.HandleRule), RegularExpression(AccountRegistry.HandleFormat, ErrorMessage = AccountRegistry.HandleRule)]
    string? Handle,
    [Required(ErrorMessage = AccountRegistry.DisplayNameRule), StringLength(AccountRegistry.MaxDisplayNameLength, ErrorMessage = AccountRegistry.DisplayNameRule)]
    string? DisplayName,
    [Required(ErrorMessage = AccountRegistry.PasswordRule),
     StringLength(AccountRegistry.MaxPasswordLength, MinimumLength = AccountRegistry.MinPasswordLength, ErrorMessage = AccountRegistry.PasswordRule)]
    string? Password,
    [Required(ErrorMessage = "Give your birth year, e.g. 1990.")] int? BirthYear);

public sealed record SignUpResponse(Guid Id, string Handle, string Token, DateTimeOffset TokenExpiresAt);

/// <summary>Lengths no account can have are refused as such (400), before anything is looked up or counted.</summary>
public sealed record SignInRequest(
    [StringLength(AccountRegistry.MaxHandleLength, ErrorMessage = AccountRegistry.HandleRule)] string? Handle,
    [StringLength(AccountRegistry.MaxPasswordLength, ErrorMessage = AccountRegistry.PasswordRule)] string? Password);

public sealed record SessionResponse(string Token, DateTimeOffset ExpiresAt);

/// <summary>An account as others see it; <c>following</c>, <c>followedBy</c>, <c>blocking</c> and <c>muting</c> are there for a signed-in viewer.</summary>
public sealed record ProfileResponse(string Handle, string DisplayName, DateTimeOffset JoinedAt, long FollowerCount, long FollowingCount, long PostCount,
    bool? Following = null, bool? FollowedBy = null, bool? Blocking = null, bool? Muting = null);

/// <summary>The password again, so a token alone (left signed in, or stolen) cannot erase an account.</summary>
public sealed record EraseAccountRequest([Required(ErrorMessage = "Enter your password to erase your account.")] string? Password);

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
        group.MapDelete("/me", EraseMe).RequireAuthorization()
            .WithDescription("Erases the account (GDPR Art. 17) after the password is entered again: personal data deleted, posts tombstoned, consent ended.");
        return group;
    }

    private static async Task<Results<Created<SignUpResponse>, BadRequestProblem, ConflictProblem>> SignUp(SignUpRequest request,
        AccountRegistry accounts, AccessTokens tokens, CancellationToken cancellationToken)
    {
        var registered = await accounts.RegisterAsync(new NewAccount(request.Handle, request.DisplayName, request.Password, request.BirthYear),
            [Roles.User], cancellationToken);
        if (registered.Refusal is { } refusal)
        {
            return refusal.Problem == IngestProblems.HandleTaken ? new ConflictProblem(refusal) : new BadRequestProblem(refusal);
        }

        var account = registered.Value;
        var token = await tokens.IssueAsync(account.Id, cancellationToken);
        return TypedResults.Created($"/api/v1/accounts/{account.Handle}", new SignUpResponse(account.Id, account.Handle, token.Token, token.ExpiresAt));
    }

    private static async Task<Results<Ok<SessionResponse>, UnauthorizedProblem, ForbiddenProblem, TooManyRequestsProblem>> SignIn(
        SignInRequest request, HttpContext http, SignIns signIns, AccessTokens tokens, CancellationToken cancellationToken)
    {
        var signedIn = await signIns.SignInAsync(request.Handle, request.Password, http.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        if (signedIn.Refusal is { } refusal)
        {
            return refusal.Problem.Status switch
            {
                StatusCodes.Status429TooManyRequests => new TooManyRequestsProblem(refusal),
                StatusCodes.Status403Forbidden => new ForbiddenProblem(refusal),
                _ => new UnauthorizedProblem(refusal),
            };
        }

        var token = await tokens.IssueAsync(signedIn.Value.Id, cancellationToken);
        return TypedResults.Ok(new SessionResponse(token.Token, token.ExpiresAt));
    }

    private static async Task<NoContent> SignOut(HttpRequest request, AccessTokens tokens, CancellationToken cancellationToken)
    {
        string header = request.Headers.Authorization!;
        await tokens.RevokeAsync(header["Bearer ".Length..].Trim(), cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ProfileResponse>, NotFoundProblem>> GetProfile(string handle, ClaimsPrincipal user, Relationships relationships,
        CancellationToken cancellationToken)
    {
        Guid? viewer = user.Identity?.IsAuthenticated == true ? user.AccountId() : null;
        if (await relationships.ProfileAsync(handle, viewer, cancellationToken) is not { } profile)
        {
            return new NotFoundProblem(CommonProblems.NotFound, handle.Length <= AccountRegistry.MaxHandleLength
                ? $"There is no account @{handle}."
                : $"There is no account with that handle; handles are at most {AccountRegistry.MaxHandleLength} characters.");
        }

        return TypedResults.Ok(new ProfileResponse(profile.Handle, profile.DisplayName, profile.JoinedAt, profile.FollowerCount, profile.FollowingCount,
            profile.PostCount, profile.Viewer?.Following, profile.Viewer?.FollowedBy, profile.Viewer?.Blocking, profile.Viewer?.Muting));
    }

    private static async Task<Results<NoContent, BadRequestProblem, ForbiddenProblem, TooManyRequestsProblem>> EraseMe(
        [FromBody] EraseAccountRequest request, ClaimsPrincipal user, HttpContext http, AccountErasure erasure, CancellationToken cancellationToken)
    {
        var erased = await erasure.EraseAsync(user.AccountId(), request.Password, http.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        if (erased.Refusal is { } refusal)
        {
            return refusal.Problem.Status switch
            {
                StatusCodes.Status429TooManyRequests => new TooManyRequestsProblem(refusal),
                StatusCodes.Status403Forbidden => new ForbiddenProblem(refusal),
                _ => new BadRequestProblem(refusal),
            };
        }

        return TypedResults.NoContent();
    }

    private static async Task<Ok<MeResponse>> GetMe(ClaimsPrincipal user, AccountRegistry accounts, CancellationToken cancellationToken)
    {
        var account = (await accounts.FindByIdAsync(user.AccountId(), cancellationToken))!;
        return TypedResults.Ok(new MeResponse(account.Id, account.Handle, account.DisplayName, account.BirthYear, account.Roles, account.CreatedAt));
    }
}
