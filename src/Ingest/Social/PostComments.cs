using AiSocial.Ingest.Posts;
using AiSocial.Problems;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Ingest.Social;

/// <summary>A comment on a post; a reply has <see cref="ParentId"/>, the top-level comment it answers.</summary>
public sealed record Comment(Guid Id, Guid PostId, Guid? ParentId, PostAuthor Author, string Body, DateTimeOffset CreatedAt);

public sealed record CommentPage(IReadOnlyList<Comment> Items, string? NextCursor);

/// <summary>
/// Comments with one level of replies. Listed thread by thread, oldest first: each top-level comment followed by its
/// replies. Comments of accounts blocked either way with the reader are left out, with the replies under them, and so
/// are those of suspended accounts.
/// </summary>
public sealed class PostComments(NpgsqlDataSource dataSource)
{
    public const int MaxBodyLength = 2000;
    public const string BodyRule = "The comment is required, at most 2000 characters.";

    public async Task<Outcome<Comment>> AddAsync(Guid authorId, Guid postId, string? body, Guid? parentId, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (TextRules.DisplayProblem(body ?? "", multiLine: true, out var text) is { } unreadable)
        {
            errors.Add("body", string.IsNullOrWhiteSpace(body) ? BodyRule : $"The comment {unreadable}.");
        }
        else if (text.Length > MaxBodyLength)
        {
            errors.Add("body", BodyRule);
        }

        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await SocialSql.InteractablePostAuthorAsync(connection, postId, authorId, cancellationToken) is not { } postAuthorId)
        {
            return PostInteractions.NoSuchPost(postId);
        }

        Guid? parentAuthorId = null;
        if (parentId is { } parent)
        {
            await using var command = new NpgsqlCommand(
                """
                select author_id from ingest.comments
                where id = $1 and post_id = $2 and parent_id is null and deleted_at is null and not ingest.blocked_between(author_id, $3)
                for share
                """, connection);
            command.Parameters.Add(new() { Value = parent });
            command.Parameters.Add(new() { Value = postId });
            command.Parameters.Add(new() { Value = authorId });
            if (await command.ExecuteScalarAsync(cancellationToken) is not Guid found)
            {
                return Refusal.Invalid("parentId",
                    $"parentId must be a top-level comment of post {postId}; there is none {parent} you can answer (replies are one level deep).");
            }

            parentAuthorId = found;
        }

        var comment = new Comment(Guid.CreateVersion7(), postId, parentId, null!, text, default);
        await using (var command = new NpgsqlCommand(
            """
            with added as (
                insert into ingest.comments (id, post_id, author_id, parent_id, body) values ($1, $2, $3, $4, $5)
                returning author_id, created_at
            )
            select a.id, a.handle, a.display_name, added.created_at from added join ingest.accounts a on a.id = added.author_id
            """, connection))
        {
            command.Parameters.Add(new() { Value = comment.Id });
            command.Parameters.Add(new() { Value = postId });
            command.Parameters.Add(new() { Value = authorId });
            command.Parameters.Add(new() { Value = (object?)parentId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new() { Value = text });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            comment = comment with
            {
                Author = new PostAuthor(reader.GetGuid(0), reader.GetString(1), reader.GetString(2)),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(3),
            };
        }

        await SocialSql.AdjustPostCounterAsync(connection, postId, PostCounter.Comments, 1, cancellationToken);
        await NotificationInbox.AddAsync(connection, postAuthorId, NotificationKind.Comment, authorId, postId, comment.Id,
            reply: parentAuthorId == postAuthorId, cancellationToken);
        if (parentAuthorId is { } answered && answered != postAuthorId)
        {
            await NotificationInbox.AddAsync(connection, answered, NotificationKind.Comment, authorId, postId, comment.Id, reply: true, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return comment;
    }

    /// <summary>
    /// A page of the comments on a post <paramref name="viewerId"/> may see (published, or their own; not deleted; no
    /// block either way with its author); not found otherwise.
    /// </summary>
    public async Task<Outcome<CommentPage>> PageAsync(Guid postId, Guid? viewerId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        (DateTimeOffset ThreadAt, Guid ThreadId, DateTimeOffset At, Guid Id)? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            var decoded = PageCursor.Decode(cursor, PageCursor.Comments, 2, 2);
            if (decoded.Refusal is { } refusal)
            {
                return refusal;
            }

            var (numbers, ids) = decoded.Value;
            if (PageCursor.ToTime(numbers[0]) is not { } threadAt || PageCursor.ToTime(numbers[1]) is not { } at)
            {
                return new Refusal(IngestProblems.InvalidCursor, "The cursor is malformed; use nextCursor from a previous page.");
            }

            after = (threadAt, ids[0], at, ids[1]);
        }

        limit = Math.Clamp(limit, 1, PostStore.MaxPageSize);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            """
            select exists (select 1 from ingest.posts
                           where id = $1 and deleted_at is null and (status = 'published' or author_id = $2)
                             and ($2::uuid is null or not ingest.blocked_between(author_id, $2)))
            """, connection))
        {
            command.Parameters.Add(new() { Value = postId });
            command.Parameters.Add(new() { Value = (object?)viewerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            if (!(bool)(await command.ExecuteScalarAsync(cancellationToken))!)
            {
                return new Refusal(CommonProblems.NotFound, $"There is no post {postId}, or it is not published yet.");
            }
        }

        // Threads in the order they were started; in each, the top-level comment (is_reply false) and then its replies.
        await using var list = new NpgsqlCommand(
            """
            select c.id, c.parent_id, a.id, a.handle, a.display_name, c.body, c.created_at,
                   coalesce(r.created_at, c.created_at) as thread_at, coalesce(r.id, c.id) as thread_id
            from ingest.comments c
            join ingest.accounts a on a.id = c.author_id
            left join ingest.comments r on r.id = c.parent_id
            where c.post_id = $1 and c.deleted_at is null and (r.id is null or r.deleted_at is null) and a.suspended_at is null
              and ($2::uuid is null or (not ingest.blocked_between(c.author_id, $2)
                                        and (r.id is null or not ingest.blocked_between(r.author_id, $2))))
              and ($3::timestamptz is null
                   or (coalesce(r.created_at, c.created_at), coalesce(r.id, c.id), c.parent_id is not null, c.created_at, c.id)
                      > ($3, $4, $4 <> $6, $5, $6))
            order by thread_at, thread_id, c.parent_id is not null, c.created_at, c.id
            limit $7
            """, connection);
        list.Parameters.Add(new() { Value = postId });
        list.Parameters.Add(new() { Value = (object?)viewerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        list.Parameters.Add(new() { Value = (object?)after?.ThreadAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        list.Parameters.Add(new() { Value = after?.ThreadId ?? Guid.Empty });
        list.Parameters.Add(new() { Value = after?.At ?? DateTimeOffset.UnixEpoch, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        list.Parameters.Add(new() { Value = after?.Id ?? Guid.Empty });
        list.Parameters.Add(new() { Value = limit + 1 });
        var rows = new List<(Comment Comment, DateTimeOffset ThreadAt, Guid ThreadId)>();
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((new Comment(reader.GetGuid(0), postId, reader.IsDBNull(1) ? null : reader.GetGuid(1),
                        new PostAuthor(reader.GetGuid(2), reader.GetString(3), reader.GetString(4)), reader.GetString(5),
                        reader.GetFieldValue<DateTimeOffset>(6)),
                    reader.GetFieldValue<DateTimeOffset>(7), reader.GetGuid(8)));
            }
        }

        if (rows.Count <= limit)
        {
            return new CommentPage(rows.Select(r => r.Comment).ToList(), null);
        }

        var last = rows[limit - 1];
        var next = PageCursor.Encode(PageCursor.Comments, [PageCursor.ToNumber(last.ThreadAt), PageCursor.ToNumber(last.Comment.CreatedAt)],
            [last.ThreadId, last.Comment.Id]);
        return new CommentPage(rows.Take(limit).Select(r => r.Comment).ToList(), next);
    }

    /// <summary>
    /// Deletes a comment, and with a top-level comment the replies under it. Its author may, and so may the post's author;
    /// anyone else who can see it is forbidden, and who cannot is told there is no such comment.
    /// </summary>
    public async Task<Refusal?> DeleteAsync(Guid accountId, Guid postId, Guid commentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var notFound = new Refusal(CommonProblems.NotFound, $"Post {postId} has no comment {commentId} you can see.");
        bool mayDelete, visible;
        await using (var command = new NpgsqlCommand(
            """
            select c.author_id = $3 or p.author_id = $3,
                   p.status = 'published' and not ingest.blocked_between(p.author_id, $3) and not ingest.blocked_between(c.author_id, $3)
            from ingest.comments c
            join ingest.posts p on p.id = c.post_id
            where c.id = $1 and c.post_id = $2 and c.deleted_at is null and p.deleted_at is null
            for update of c
            """, connection))
        {
            command.Parameters.Add(new() { Value = commentId });
            command.Parameters.Add(new() { Value = postId });
            command.Parameters.Add(new() { Value = accountId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return notFound;
            }

            (mayDelete, visible) = (reader.GetBoolean(0), reader.GetBoolean(1));
        }

        if (!mayDelete)
        {
            return visible
                ? new Refusal(IngestProblems.NotYourComment, "Only the comment's author or the post's author may delete this comment.")
                : notFound;
        }

        int deleted;
        await using (var command = new NpgsqlCommand(
            "update ingest.comments set deleted_at = now() where (id = $1 or parent_id = $1) and deleted_at is null", connection))
        {
            command.Parameters.Add(new() { Value = commentId });
            deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await SocialSql.AdjustPostCounterAsync(connection, postId, PostCounter.Comments, -deleted, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
    }
}
