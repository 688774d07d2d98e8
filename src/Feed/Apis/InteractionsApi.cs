using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Json.Serialization;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Posts;
using AiSocial.Ingest.Social;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

public sealed record LikeResponse(Guid PostId, bool Liked, long LikeCount);

public sealed record RepostResponse(Guid PostId, bool Reposted, long RepostCount);

/// <summary>A new comment; <c>parentId</c> makes it a reply to a top-level comment of the same post.</summary>
public sealed record CommentRequest(
    [Required(ErrorMessage = PostComments.BodyRule), StringLength(PostComments.MaxBodyLength, ErrorMessage = PostComments.BodyRule)]
    [MultiLineText]
    string? Body,
    Guid? ParentId);

public sealed record CommentResponse(Guid Id, Guid PostId, Guid? ParentId, AuthorResponse Author, string Body, DateTimeOffset CreatedAt);

/// <summary>Comments thread by thread, oldest first: each top-level comment, then its replies (with parentId).</summary>
public sealed record CommentPageResponse(IReadOnlyList<CommentResponse> Items, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

/// <summary>Likes, reposts and comments on posts.</summary>
public static class InteractionsApi
{
    public const int DefaultLimit = 50;
    private const string LimitRule = "limit must be between 1 and 100.";

    public static RouteGroupBuilder MapInteractionsApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/posts/{id:guid}").WithTags("Interactions");
        group.MapPost("/like", Like).RequireAuthorization();
        group.MapDelete("/like", Unlike).RequireAuthorization();
        group.MapPost("/repost", Repost).RequireAuthorization();
        group.MapDelete("/repost", Unrepost).RequireAuthorization();
        group.MapPost("/comments", AddComment).RequireAuthorization();
        group.MapGet("/comments", GetComments);
        group.MapDelete("/comments/{commentId:guid}", DeleteComment).RequireAuthorization();
        return group;
    }

    private static async Task<Results<Ok<LikeResponse>, NotFoundProblem>> Like(Guid id, ClaimsPrincipal user, PostInteractions interactions,
        CancellationToken cancellationToken) =>
        ToLike(await interactions.LikeAsync(user.AccountId(), id, cancellationToken));

    private static async Task<Results<Ok<LikeResponse>, NotFoundProblem>> Unlike(Guid id, ClaimsPrincipal user, PostInteractions interactions,
        CancellationToken cancellationToken) =>
        ToLike(await interactions.UnlikeAsync(user.AccountId(), id, cancellationToken));

    private static async Task<Results<Ok<RepostResponse>, NotFoundProblem>> Repost(Guid id, ClaimsPrincipal user, PostInteractions interactions,
        CancellationToken cancellationToken) =>
        ToRepost(await interactions.RepostAsync(user.AccountId(), id, cancellationToken));

    private static async Task<Results<Ok<RepostResponse>, NotFoundProblem>> Unrepost(Guid id, ClaimsPrincipal user, PostInteractions interactions,
        CancellationToken cancellationToken) =>
        ToRepost(await interactions.UnrepostAsync(user.AccountId(), id, cancellationToken));

    private static Results<Ok<LikeResponse>, NotFoundProblem> ToLike(Outcome<InteractionState> outcome) =>
        outcome.Refusal is { } refusal
            ? new NotFoundProblem(refusal)
            : TypedResults.Ok(new LikeResponse(outcome.Value.PostId, outcome.Value.Active, outcome.Value.Count));

    private static Results<Ok<RepostResponse>, NotFoundProblem> ToRepost(Outcome<InteractionState> outcome) =>
        outcome.Refusal is { } refusal
            ? new NotFoundProblem(refusal)
            : TypedResults.Ok(new RepostResponse(outcome.Value.PostId, outcome.Value.Active, outcome.Value.Count));

    private static async Task<Results<Created<CommentResponse>, BadRequestProblem, NotFoundProblem>> AddComment(Guid id, CommentRequest request,
        ClaimsPrincipal user, PostComments comments, CancellationToken cancellationToken)
    {
        var added = await comments.AddAsync(user.AccountId(), id, request.Body, request.ParentId, cancellationToken);
        if (added.Refusal is { } refusal)
        {
            return refusal.Problem.Status == StatusCodes.Status404NotFound ? new NotFoundProblem(refusal) : new BadRequestProblem(refusal);
        }

        return TypedResults.Created($"/api/v1/posts/{id}/comments/{added.Value.Id}", ToResponse(added.Value));
    }

    private static async Task<Results<Ok<CommentPageResponse>, BadRequestProblem, NotFoundProblem>> GetComments(Guid id, ClaimsPrincipal user,
        PostComments comments, [Range(1, PostStore.MaxPageSize, ErrorMessage = LimitRule)] int? limit, string? cursor,
        CancellationToken cancellationToken)
    {
        Guid? viewer = user.Identity?.IsAuthenticated == true ? user.AccountId() : null;
        var page = await comments.PageAsync(id, viewer, cursor, limit ?? DefaultLimit, cancellationToken);
        if (page.Refusal is { } refusal)
        {
            return refusal.Problem.Status == StatusCodes.Status404NotFound ? new NotFoundProblem(refusal) : new BadRequestProblem(refusal);
        }

        return TypedResults.Ok(new CommentPageResponse(page.Value.Items.Select(ToResponse).ToList(), page.Value.NextCursor));
    }

    private static async Task<Results<NoContent, ForbiddenProblem, NotFoundProblem>> DeleteComment(Guid id, Guid commentId, ClaimsPrincipal user,
        PostComments comments, CancellationToken cancellationToken) =>
        await comments.DeleteAsync(user.AccountId(), id, commentId, cancellationToken) switch
        {
            null => TypedResults.NoContent(),
            { Problem.Status: StatusCodes.Status403Forbidden } refusal => new ForbiddenProblem(refusal),
            var refusal => new NotFoundProblem(refusal),
        };

    private static CommentResponse ToResponse(Comment comment) =>
        new(comment.Id, comment.PostId, comment.ParentId, new AuthorResponse(comment.Author.Handle, comment.Author.DisplayName), comment.Body,
            comment.CreatedAt);
}
