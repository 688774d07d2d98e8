using AiSocial.Ingest.Posts;
using AiSocial.Problems;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Ingest.Social;

public enum NotificationKind
{
    Like,
    Comment,
    Follow,
    Remix,
    Moderation,
}

/// <summary>
/// Something that happened to a person's posts or account. <see cref="Actor"/> is who did it (none for moderation);
/// <see cref="Outcome"/> is the moderation outcome (published, rejected, removed); <see cref="Reply"/> marks a comment
/// that answers one of theirs.
/// </summary>
public sealed record Notification(
    long Id,
    NotificationKind Kind,
    PostAuthor? Actor,
    Guid? PostId,
    Guid? CommentId,
    string? Outcome,
    bool Reply,
    DateTimeOffset CreatedAt,
    bool Read);

public sealed record NotificationPage(IReadOnlyList<Notification> Items, string? NextCursor, long UnreadCount);

/// <summary>
/// A person's notifications, newest first. Written in the transaction of what they announce; read without any from an
/// account blocked either way or muted, and without those about deleted posts or comments.
/// </summary>
public sealed class NotificationInbox(NpgsqlDataSource dataSource)
{
    public const string UpToRule = "upTo must be the id of a notification (a positive number).";

    // Which stored notifications a person is shown; n is the notification, p its post and c its comment.
    private const string Shown =
        """
        (n.actor_id is null or (not ingest.blocked_between(n.account_id, n.actor_id)
                                and not exists (select 1 from ingest.mutes m where m.muter_id = n.account_id and m.muted_id = n.actor_id)))
        and (n.post_id is null or exists (select 1 from ingest.posts p where p.id = n.post_id and p.deleted_at is null))
        and (n.comment_id is null or exists (select 1 from ingest.comments c where c.id = n.comment_id and c.deleted_at is null))
        """;

    /// <summary>
    /// Tells <paramref name="recipient"/> about what <paramref name="actor"/> did, in the caller's transaction; nothing
    /// when they are the same account or either blocks the other.
    /// </summary>
    internal static async Task AddAsync(NpgsqlConnection connection, Guid recipient, NotificationKind kind, Guid actor, Guid? postId, Guid? commentId,
        bool reply, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            insert into ingest.notifications (account_id, kind, actor_id, post_id, comment_id, detail)
            select $1, $2, $3, $4, $5, case when $6 then '{"reply": true}'::jsonb else '{}'::jsonb end
            where $1 <> $3 and not ingest.blocked_between($1, $3)
            """, connection);
        command.Parameters.Add(new() { Value = recipient });
        command.Parameters.Add(new() { Value = Name(kind) });
        command.Parameters.Add(new() { Value = actor });
        command.Parameters.Add(new() { Value = (object?)postId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = (object?)commentId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = reply });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Takes back an unread notification whose cause was undone (a like taken back), so undoing and redoing does not pile up.</summary>
    internal static async Task RetractUnreadAsync(NpgsqlConnection connection, Guid recipient, NotificationKind kind, Guid actor, Guid? postId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            delete from ingest.notifications
            where account_id = $1 and kind = $2 and actor_id = $3 and post_id is not distinct from $4 and read_at is null
            """, connection);
        command.Parameters.Add(new() { Value = recipient });
        command.Parameters.Add(new() { Value = Name(kind) });
        command.Parameters.Add(new() { Value = actor });
        command.Parameters.Add(new() { Value = (object?)postId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Outcome<NotificationPage>> PageAsync(Guid accountId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        long? before = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            var decoded = PageCursor.Decode(cursor, PageCursor.Notifications, 1, 0);
            if (decoded.Refusal is { } refusal)
            {
                return refusal;
            }

            before = decoded.Value.Numbers[0];
        }

        limit = Math.Clamp(limit, 1, PostStore.MaxPageSize);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var items = new List<Notification>();
        await using (var command = new NpgsqlCommand(
            $"""
            select n.id, n.kind, a.id, a.handle, a.display_name, n.post_id, n.comment_id, n.detail ->> 'outcome',
                   coalesce((n.detail ->> 'reply')::boolean, false), n.created_at, n.read_at is not null
            from ingest.notifications n
            left join ingest.accounts a on a.id = n.actor_id
            where n.account_id = $1 and ($2::bigint is null or n.id < $2) and {Shown}
            order by n.id desc
            limit $3
            """, connection))
        {
            command.Parameters.Add(new() { Value = accountId });
            command.Parameters.Add(new() { Value = (object?)before ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new() { Value = limit + 1 });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new Notification(
                    reader.GetInt64(0),
                    Enum.Parse<NotificationKind>(reader.GetString(1), ignoreCase: true),
                    reader.IsDBNull(2) ? null : new PostAuthor(reader.GetGuid(2), reader.GetString(3), reader.GetString(4)),
                    reader.IsDBNull(5) ? null : reader.GetGuid(5),
                    reader.IsDBNull(6) ? null : reader.GetGuid(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7),
                    reader.GetBoolean(8),
                    reader.GetFieldValue<DateTimeOffset>(9),
                    reader.GetBoolean(10)));
            }
        }

        var unread = await UnreadCountAsync(accountId, cancellationToken);
        if (items.Count <= limit)
        {
            return new NotificationPage(items, null, unread);
        }

        items.RemoveAt(limit);
        return new NotificationPage(items, PageCursor.Encode(PageCursor.Notifications, [items[^1].Id], []), unread);
    }

    /// <summary>How many of the notifications the person is shown are unread.</summary>
    public async Task<long> UnreadCountAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"select count(*) from ingest.notifications n where n.account_id = $1 and n.read_at is null and {Shown}");
        command.Parameters.Add(new() { Value = accountId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Marks every notification up to and including <paramref name="upTo"/> read; returns how many were unread.</summary>
    public async Task<Outcome<long>> MarkReadAsync(Guid accountId, long? upTo, CancellationToken cancellationToken)
    {
        if (upTo is not > 0)
        {
            return Refusal.Invalid("upTo", UpToRule);
        }

        await using var command = dataSource.CreateCommand(
            "update ingest.notifications set read_at = now() where account_id = $1 and id <= $2 and read_at is null");
        command.Parameters.Add(new() { Value = accountId });
        command.Parameters.Add(new() { Value = upTo.Value });
        return (long)await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static string Name(NotificationKind kind) => kind.ToString().ToLowerInvariant();
}
