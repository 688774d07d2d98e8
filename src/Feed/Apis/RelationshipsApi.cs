using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Social;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

/// <summary>How the caller stands to the account <c>handle</c> after the change.</summary>
public sealed record RelationshipResponse(string Handle, bool Following, bool FollowedBy, bool Blocking, bool Muting);

/// <summary>Following, blocking and muting accounts.</summary>
public static class RelationshipsApi
{
    public static RouteGroupBuilder MapRelationshipsApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/accounts/{handle}").WithTags("Accounts").RequireAuthorization();
        group.MapPost("/follow", Follow);
        group.MapDelete("/follow", Unfollow);
        group.MapPost("/block", Block);
        group.MapDelete("/block", Unblock);
        group.MapPost("/mute", Mute);
        group.MapDelete("/mute", Unmute);
        return group;
    }

    private static async Task<Results<Ok<RelationshipResponse>, BadRequestProblem, ForbiddenProblem, NotFoundProblem>> Follow(string handle,
        ClaimsPrincipal user, Relationships relationships, CancellationToken cancellationToken) =>
        ToResult(await relationships.FollowAsync(user.AccountId(), handle, cancellationToken));

    private static async Task<Results<Ok<RelationshipResponse>, BadRequestProblem, ForbiddenProblem, NotFoundProblem>> Unfollow(string handle,
        ClaimsPrincipal user, Relationships relationships, CancellationToken cancellationToken) =>
        ToResult(await relationships.UnfollowAsync(user.AccountId(), handle, cancellationToken));

    private static async Task<Results<Ok<RelationshipResponse>, BadRequestProblem, ForbiddenProblem, NotFoundProblem>> Block(string handle,
        ClaimsPrincipal user, Relationships relationships, CancellationToken cancellationToken) =>
        ToResult(await relationships.BlockAsync(user.AccountId(), handle, cancellationToken));

    private static async Task<Results<Ok<RelationshipResponse>, BadRequestProblem, ForbiddenProblem, NotFoundProblem>> Unblock(string handle,
        ClaimsPrincipal user, Relationships relationships, CancellationToken cancellationToken) =>
        ToResult(await relationships.UnblockAsync(user.AccountId(), handle, cancellationToken));

    private static async Task<Results<Ok<RelationshipResponse>, BadRequestProblem, ForbiddenProblem, NotFoundProblem>> Mute(string handle,
        ClaimsPrincipal user, Relationships relationships, CancellationToken cancellationToken) =>
        ToResult(await relationships.MuteAsync(user.AccountId(), handle, cancellationToken));

    private static async Task<Results<Ok<RelationshipResponse>, BadRequestProblem, ForbiddenProblem, NotFoundProblem>> Unmute(string handle,
        ClaimsPrincipal user, Relationships relationships, CancellationToken cancellationToken) =>
        ToResult(await relationships.UnmuteAsync(user.AccountId(), handle, cancellationToken));

    private static Results<Ok<RelationshipResponse>, BadRequestProblem, ForbiddenProblem, NotFoundProblem> ToResult(Outcome<Relationship> changed)
    {
        if (changed.Refusal is { } refusal)
        {
            return refusal.Problem.Status switch
            {
                StatusCodes.Status404NotFound => new NotFoundProblem(refusal),
                StatusCodes.Status403Forbidden => new ForbiddenProblem(refusal),
                _ => new BadRequestProblem(refusal),
            };
        }

        var r = changed.Value;
        return TypedResults.Ok(new RelationshipResponse(r.Handle, r.Following, r.FollowedBy, r.Blocking, r.Muting));
    }
}
