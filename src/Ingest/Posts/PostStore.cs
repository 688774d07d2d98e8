using AiSocial.Ingest.Database;
using Npgsql;

namespace AiSocial.Ingest.Posts;

/// <summary>Reads posts and moves them between states. State changes join the caller's transaction.</summary>
public sealed class PostStore(NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 100;

    /// <summary>The columns <see cref="ReadPost"/> reads, in its order, over <c>p</c> and <see cref="PostJoins"/>.</summary>
    internal const string PostColumns =
        """
        p.id, a.id, a.handle, a.display_name, m.sha256, m.content_type, m.width, m.height,
        p.prompt, p.caption, p.status, p.created_at, p.published_at, p.upload_sha256,
        m.placeholder, p.negative_prompt, p.alt_text, p.tags, p.sensitive, p.content_warning, p.remix_of,
        p.prompt_visibility, p.allow_training, p.edited_at, p.deleted_at,
        g.id, g.generator, g.model, g.size, g.seed, g.parameters::text, g.revised_prompt,
        coalesce(c.like_count, 0), coalesce(c.comment_count, 0), coalesce(c.remix_count, 0), coalesce(c.repost_count, 0)
        """;

    /// <summary>How many columns <see cref="PostColumns"/> has; a query's own columns follow them.</summary>
    internal const int PostColumnCount = 36;

    /// <summary>What <see cref="PostColumns"/> reads besides the post <c>p</c> itself.</summary>
    internal const string PostJoins =
        """
        join ingest.accounts a on a.id = p.author_id
        join ingest.media m on m.sha256 = p.media_sha256
        left join ingest.generations g on g.id = p.generation_id
        left join ingest.post_counters c on c.post_id = p.id
        """;

    internal const string SelectPost = $"select {PostColumns}\nfrom ingest.posts p\n{PostJoins}";

    public async Task<Post?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{SelectPost} where p.id = $1");
        command.Parameters.Add(new() { Value = id });
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>The posts with these ids that exist, in one query.</summary>
    public async Task<IReadOnlyDictionary<Guid, Post>> GetManyAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{SelectPost} where p.id = any($1)");
        command.Parameters.Add(new() { Value = ids.ToArray() });
        return (await ReadAllAsync(command, cancellationToken)).ToDictionary(p => p.Id);
    }

    /// <summary>
    /// SQL that holds when the account in the parameter <paramref name="viewer"/> (<see cref="Guid.Empty"/> for nobody signed in)
    /// may see post <c>p</c>: not deleted, and their own, or published by an account with no block between the two.
    /// </summary>
    internal static string VisibleTo(string viewer) =>
        $"(p.deleted_at is null and (p.author_id = {viewer} or (p.status = 'published' and not ingest.blocked_between(p.author_id, {viewer}))))";

    /// <summary>A post as <paramref name="viewerId"/> may see it: not deleted, and published with no block either way, or their own.</summary>
    public async Task<Post?> GetVisibleAsync(Guid id, Guid? viewerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{SelectPost} where p.id = $1 and {VisibleTo("$2")}");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = viewerId ?? Guid.Empty });
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>
    /// Moves a post to <paramref name="to"/> if it is currently in one of <paramref name="from"/>; false otherwise.
    /// Runs on the caller's connection so the change commits with the decision that caused it. With it, in the same
    /// statement, the author is told the outcome and, when a remix is published, the author of the post it remixes
    /// (unless that is the same account, one blocks the other, or the original is deleted).
    /// </summary>
    public static async Task<bool> TransitionAsync(NpgsqlConnection connection, Guid postId, PostStatus to, IReadOnlyCollection<PostStatus> from,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            with moved as (
                update ingest.posts
                set status = $2, published_at = case when $4 then now() else published_at end
                where id = $1 and status = any($3)
                returning id, author_id, remix_of, status
            ), outcome as (
                insert into ingest.notifications (account_id, kind, post_id, detail)
                select author_id, 'moderation', id, jsonb_build_object('outcome', status) from moved
                where status in ('published', 'rejected', 'removed')
            ), remixed as (
                insert into ingest.notifications (account_id, kind, actor_id, post_id)
                select o.author_id, 'remix', m.author_id, m.id
                from moved m join ingest.posts o on o.id = m.remix_of
                where m.status = 'published' and o.author_id <> m.author_id and o.deleted_at is null
                  and not ingest.blocked_between(o.author_id, m.author_id)
            )
            select count(*) from moved
            """, connection);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = to.ToDatabase() });
        command.Parameters.Add(new() { Value = from.Select(s => s.ToDatabase()).ToArray() });
        command.Parameters.Add(new() { Value = to == PostStatus.Published });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    internal static async Task<List<Post>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var posts = new List<Post>();
        while (await reader.ReadAsync(cancellationToken))
        {
            posts.Add(ReadPost(reader));
        }

        return posts;
    }

    /// <summary>The post in the current row, whose first columns are <see cref="PostColumns"/>.</summary>
    internal static Post ReadPost(NpgsqlDataReader reader) =>
        new(
            reader.GetGuid(0),
            new PostAuthor(reader.GetGuid(1), reader.GetString(2), reader.GetString(3)),
            new PostMedia(reader.GetString(4), reader.GetString(5), reader.GetInt32(6), reader.GetInt32(7), NullableString(reader, 14)),
            reader.GetString(13),
            reader.GetString(8),
            reader.IsDBNull(9) ? null : reader.GetString(9),
            DatabaseNames.Parse<PostStatus>(reader.GetString(10)),
            reader.GetFieldValue<DateTimeOffset>(11),
            reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12))
        {
            NegativePrompt = NullableString(reader, 15),
            AltText = NullableString(reader, 16),
            Tags = reader.GetFieldValue<string[]>(17),
            Sensitive = reader.GetBoolean(18),
            ContentWarning = NullableString(reader, 19),
            RemixOf = reader.IsDBNull(20) ? null : reader.GetGuid(20),
            PromptVisibility = DatabaseNames.Parse<PromptVisibility>(reader.GetString(21)),
            AllowTraining = reader.IsDBNull(22) ? null : reader.GetBoolean(22),
            EditedAt = reader.IsDBNull(23) ? null : reader.GetFieldValue<DateTimeOffset>(23),
            DeletedAt = reader.IsDBNull(24) ? null : reader.GetFieldValue<DateTimeOffset>(24),
            Generation = reader.IsDBNull(25)
                ? null
                : new PostGeneration(reader.GetGuid(25), reader.GetString(26), reader.GetString(27), reader.GetString(28), reader.GetInt64(29),
                    reader.GetString(30), NullableString(reader, 31)),
            Counts = new PostCounts(reader.GetInt64(32), reader.GetInt64(33), reader.GetInt64(34), reader.GetInt64(35)),
        };

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
