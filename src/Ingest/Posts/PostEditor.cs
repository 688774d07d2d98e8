using System.Buffers.Binary;
using System.Buffers.Text;
using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Ingest.Posts;

/// <summary>A change to a post's caption or alt text: null leaves a field as it is, an empty text clears it.</summary>
public sealed record PostChange(string? Caption, string? AltText);

/// <summary>A caption and alt text as they were until <see cref="ReplacedAt"/>.</summary>
public sealed record PostRevision(long Id, string? Caption, string? AltText, DateTimeOffset ReplacedAt);

public sealed record PostRevisionPage(IReadOnlyList<PostRevision> Items, string? NextCursor);

/// <summary>
/// What an author may do to a post once it is made: edit its caption and alt text (the earlier values are kept, and
/// shown to whoever may see the post, so an edit cannot quietly change what people liked or answered) and delete it,
/// leaving a tombstone. Someone else's post is as unknown to these as one that does not exist.
/// </summary>
public sealed class PostEditor(NpgsqlDataSource dataSource, PostStore posts)
{
    public const string NothingToChangeRule = "Send 'caption', 'altText' or both; an empty text clears the field.";

    public async Task<Outcome<Post>> EditAsync(Guid authorId, Guid postId, PostChange change, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (change.Caption is null && change.AltText is null)
        {
            errors.Add("caption", NothingToChangeRule);
        }

        var caption = Optional(change.Caption, "caption", PostSubmissions.MaxCaptionLength, PostSubmissions.CaptionRule, errors);
        var altText = Optional(change.AltText, "altText", PostSubmissions.MaxAltTextLength, PostSubmissions.AltTextRule, errors);
        var captionTags = PostTags.ParseCaption(caption, errors);
        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            string? oldCaption, oldAltText;
            string[] given;
            await using (var command = new NpgsqlCommand(
                "select caption, alt_text, given_tags from ingest.posts where id = $1 and author_id = $2 and deleted_at is null for update", connection))
            {
                command.Parameters.Add(new() { Value = postId });
                command.Parameters.Add(new() { Value = authorId });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    return NotYours(postId);
                }

                (oldCaption, oldAltText, given) = (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.GetFieldValue<string[]>(2));
            }

            var newCaption = change.Caption is null ? oldCaption : caption;
            var newAltText = change.AltText is null ? oldAltText : altText;
            if (newCaption != oldCaption || newAltText != oldAltText)
            {
                var tags = PostTags.Combine(given, change.Caption is null ? PostTags.ParseCaption(oldCaption, errors) : captionTags, errors);
                if (errors.ToRefusal() is { } tooMany)
                {
                    return tooMany;
                }

                await using (var command = new NpgsqlCommand(
                    """
                    with earlier as (insert into ingest.post_edits (post_id, caption, alt_text) values ($1, $2, $3))
                    update ingest.posts set caption = $4, alt_text = $5, tags = $6, edited_at = now() where id = $1
                    """, connection))
                {
                    command.Parameters.Add(new() { Value = postId });
                    command.Parameters.Add(Text(oldCaption));
                    command.Parameters.Add(Text(oldAltText));
                    command.Parameters.Add(Text(newCaption));
                    command.Parameters.Add(Text(newAltText));
                    command.Parameters.Add(new() { Value = tags.ToArray() });
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                await PostTags.StoreAsync(connection, postId, tags, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
        }

        return (await posts.GetAsync(postId, cancellationToken))!;
    }

    /// <summary>Earlier captions and alt texts, latest first; null when the viewer may not see the post.</summary>
    public async Task<Outcome<PostRevisionPage?>> RevisionsAsync(Guid postId, Guid? viewerId, string? cursor, int limit,
        CancellationToken cancellationToken)
    {
        var after = DecodeCursor(cursor);
        if (after.Refusal is { } badCursor)
        {
            return badCursor;
        }

        if (await posts.GetVisibleAsync(postId, viewerId, cancellationToken) is null)
        {
            return (PostRevisionPage?)null;
        }

        limit = Math.Clamp(limit, 1, PostStore.MaxPageSize);
        await using var command = dataSource.CreateCommand(
            """
            select id, caption, alt_text, edited_at from ingest.post_edits
            where post_id = $1 and ($2::bigint is null or id < $2)
            order by id desc
            limit $3
            """);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = (object?)after.Value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = limit + 1 });
        var revisions = new List<PostRevision>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                revisions.Add(new PostRevision(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
            }
        }

        return revisions.Count <= limit
            ? new PostRevisionPage(revisions, null)
            : new PostRevisionPage(revisions.Take(limit).ToList(), EncodeCursor(revisions[limit - 1].Id));
    }

    /// <summary>
    /// Makes the author's post a tombstone: it leaves every timeline and endpoint, its tags and its count among its
    /// source's remixes; the row stays so lineage can say "deleted". Deleting a deleted post again changes nothing.
    /// </summary>
    public async Task<Outcome<Guid>> DeleteAsync(Guid authorId, Guid postId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        (bool Deleted, Guid? Source)? post = null;
        await using (var command = new NpgsqlCommand(
            "select deleted_at is not null, remix_of from ingest.posts where id = $1 and author_id = $2 for update", connection))
        {
            command.Parameters.Add(new() { Value = postId });
            command.Parameters.Add(new() { Value = authorId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                post = (reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetGuid(1));
            }
        }

        if (post is not { } found)
        {
            return NotYours(postId);
        }

        if (found.Deleted)
        {
            return postId;
        }

        await TombstoneAsync(connection, authorId, postId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return postId;
    }

    /// <summary>
    /// Makes the author's live posts (one, or all of them when <paramref name="postId"/> is null) tombstones, on the
    /// caller's transaction: out of their sources' remix counts and the tag timeline, and marked deleted, which takes
    /// them out of every timeline and endpoint. The posts it tombstoned.
    /// </summary>
    internal static async Task<int> TombstoneAsync(NpgsqlConnection connection, Guid authorId, Guid? postId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            with gone as (
                select id, remix_of from ingest.posts
                where author_id = $1 and ($2::uuid is null or id = $2) and deleted_at is null
                for update
            ), uncounted as (
                insert into ingest.post_counters (post_id, remix_count)
                select remix_of, 0 from gone where remix_of is not null group by remix_of
                on conflict (post_id) do update set remix_count = greatest(ingest.post_counters.remix_count
                    - (select count(*) from gone where gone.remix_of = excluded.post_id), 0)
            ), untagged as (
                delete from ingest.post_tags where post_id in (select id from gone)
            )
            update ingest.posts set deleted_at = now() where id in (select id from gone)
            """, connection);
        command.Parameters.Add(new() { Value = authorId });
        command.Parameters.Add(new() { Value = (object?)postId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static Refusal NotYours(Guid postId) =>
        new(CommonProblems.NotFound, $"You have no post {postId}; only a post's author may change or delete it.");

    private static string? Optional(string? text, string field, int maxLength, string rule, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (TextRules.DisplayProblem(text, multiLine: true, out var stored) is { } unreadable)
        {
            errors.Add(field, $"'{field}' {unreadable}.");
        }
        else if (stored.Length > maxLength)
        {
            errors.Add(field, rule);
        }

        return stored;
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };

    private const byte CursorVersion = 2;

    private static string EncodeCursor(long id)
    {
        Span<byte> bytes = stackalloc byte[9];
        bytes[0] = CursorVersion;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], id);
        return Base64Url.EncodeToString(bytes);
    }

    private static Outcome<long?> DecodeCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return (long?)null;
        }

        Span<byte> bytes = stackalloc byte[9];
        if (cursor.Length > 20 || !Base64Url.IsValid(cursor, out var length) || length != 9 || !Base64Url.TryDecodeFromChars(cursor, bytes, out _) ||
            bytes[0] != CursorVersion)
        {
            return new Refusal(IngestProblems.InvalidCursor, "The cursor is malformed; use nextCursor from a previous page.");
        }

        return BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
    }
}
