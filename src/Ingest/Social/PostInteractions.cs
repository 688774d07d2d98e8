using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Ingest.Social;

/// <summary>Whether the account likes (or reposts) the post now, and how many do.</summary>
public sealed record InteractionState(Guid PostId, bool Active, long Count);

/// <summary>
/// Likes and reposts: idempotent, only on posts the account may see (published, not deleted, no block either way), each
/// counted in the same transaction as the row it counts.
/// </summary>
public sealed class PostInteractions(NpgsqlDataSource dataSource)
{
    public Task<Outcome<InteractionState>> LikeAsync(Guid accountId, Guid postId, CancellationToken cancellationToken) =>
        SetAsync(Like, accountId, postId, on: true, cancellationToken);

    public Task<Outcome<InteractionState>> UnlikeAsync(Guid accountId, Guid postId, CancellationToken cancellationToken) =>
        SetAsync(Like, accountId, postId, on: false, cancellationToken);

    public Task<Outcome<InteractionState>> RepostAsync(Guid accountId, Guid postId, CancellationToken cancellationToken) =>
        SetAsync(Repost, accountId, postId, on: true, cancellationToken);

    public Task<Outcome<InteractionState>> UnrepostAsync(Guid accountId, Guid postId, CancellationToken cancellationToken) =>
        SetAsync(Repost, accountId, postId, on: false, cancellationToken);

    private sealed record Kind(string Table, PostCounter Counter, NotificationKind? Notification);

    private static readonly Kind Like = new("ingest.likes", PostCounter.Likes, NotificationKind.Like);
    private static readonly Kind Repost = new("ingest.reposts", PostCounter.Reposts, null);

    internal static Refusal NoSuchPost(Guid postId) =>
        new(CommonProblems.NotFound, $"There is no post {postId} you can interact with: it does not exist, is not published yet, or was deleted.");

    private async Task<Outcome<InteractionState>> SetAsync(Kind kind, Guid accountId, Guid postId, bool on, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await SocialSql.InteractablePostAuthorAsync(connection, postId, accountId, cancellationToken) is not { } authorId)
        {
            return NoSuchPost(postId);
        }

        bool changed;
        await using (var command = new NpgsqlCommand(
            on
                ? $"insert into {kind.Table} (post_id, account_id) values ($1, $2) on conflict do nothing"
                : $"delete from {kind.Table} where post_id = $1 and account_id = $2", connection))
        {
            command.Parameters.Add(new() { Value = postId });
            command.Parameters.Add(new() { Value = accountId });
            changed = await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        }

        var count = await SocialSql.AdjustPostCounterAsync(connection, postId, kind.Counter, changed ? (on ? 1 : -1) : 0, cancellationToken);
        if (changed && kind.Notification is { } notification)
        {
            if (on)
            {
                await NotificationInbox.AddAsync(connection, authorId, notification, accountId, postId, null, reply: false, cancellationToken);
            }
            else
            {
                await NotificationInbox.RetractUnreadAsync(connection, authorId, notification, accountId, postId, cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new InteractionState(postId, on, count);
    }
}
