using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Json.Serialization;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Posts;
using AiSocial.Ingest.Social;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

/// <summary>
/// One notification: <c>kind</c> is like, comment, follow, remix or moderation; <c>actor</c> is who did it (absent for
/// moderation); <c>outcome</c> is the moderation outcome (published, rejected, removed); <c>reply</c> marks a comment
/// answering yours.
/// </summary>
public sealed record NotificationResponse(long Id, NotificationKind Kind, AuthorResponse? Actor, Guid? PostId, Guid? CommentId, string? Outcome,
    bool? Reply, DateTimeOffset CreatedAt, bool Read);

public sealed record NotificationPageResponse(IReadOnlyList<NotificationResponse> Items,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor, long UnreadCount);

public sealed record MarkReadRequest([Required(ErrorMessage = NotificationInbox.UpToRule), Range(1, long.MaxValue, ErrorMessage = NotificationInbox.UpToRule)] long? UpTo);

public sealed record MarkReadResponse(long Marked, long UnreadCount);

/// <summary>The caller's notifications, newest first, and marking them read.</summary>
public static class NotificationsApi
{
    public const int DefaultLimit = 20;
    private const string LimitRule = "limit must be between 1 and 100.";

    public static RouteGroupBuilder MapNotificationsApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/notifications").WithTags("Notifications").RequireAuthorization();
        group.MapGet("", GetNotifications);
        group.MapPost("/read", MarkRead);
        return group;
    }

    private static async Task<Results<Ok<NotificationPageResponse>, BadRequestProblem>> GetNotifications(ClaimsPrincipal user, NotificationInbox inbox,
        [Range(1, PostStore.MaxPageSize, ErrorMessage = LimitRule)] int? limit, string? cursor, CancellationToken cancellationToken)
    {
        var page = await inbox.PageAsync(user.AccountId(), cursor, limit ?? DefaultLimit, cancellationToken);
        if (page.Refusal is { } refusal)
        {
            return new BadRequestProblem(refusal);
        }

        return TypedResults.Ok(new NotificationPageResponse(page.Value.Items.Select(ToResponse).ToList(), page.Value.NextCursor, page.Value.UnreadCount));
    }

    private static async Task<Results<Ok<MarkReadResponse>, BadRequestProblem>> MarkRead(MarkReadRequest request, ClaimsPrincipal user,
        NotificationInbox inbox, CancellationToken cancellationToken)
    {
        var marked = await inbox.MarkReadAsync(user.AccountId(), request.UpTo, cancellationToken);
        if (marked.Refusal is { } refusal)
        {
            return new BadRequestProblem(refusal);
        }

        return TypedResults.Ok(new MarkReadResponse(marked.Value, await inbox.UnreadCountAsync(user.AccountId(), cancellationToken)));
    }

    private static NotificationResponse ToResponse(Notification n) =>
        new(n.Id, n.Kind, n.Actor is { } actor ? new AuthorResponse(actor.Handle, actor.DisplayName) : null, n.PostId, n.CommentId, n.Outcome,
            n.Reply ? true : null, n.CreatedAt, n.Read);
}
