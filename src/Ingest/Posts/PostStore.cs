using AiSocial.Ingest.Database;
using Npgsql;

namespace AiSocial.Ingest.Posts;

/// <summary>Reads posts and moves them between states. State changes join the caller's transaction.</summary>
public sealed class PostStore(NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 100;

    internal const string SelectPost =
        """
        select p.id, a.id, a.handle, a.display_name, m.sha256, m.content_type, m.width, m.height,
               p.prompt, p.caption, p.status, p.created_at, p.published_at, p.upload_sha256
        from ingest.posts p
        join ingest.accounts a on a.id = p.author_id
        join ingest.media m on m.sha256 = p.media_sha256
        """;

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

    /// <summary>A post as <paramref name="viewerId"/> may see it: published, or their own.</summary>
    public async Task<Post?> GetVisibleAsync(Guid id, Guid? viewerId, CancellationToken cancellationToken)
    {
        var post = await GetAsync(id, cancellationToken);
        return post is not null && (post.Status == PostStatus.Published || post.Author.Id == viewerId) ? post : null;
    }

    public async Task<TimelinePage> PublicTimelineAsync(TimelineCursor? after, int limit, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        await using var command = dataSource.CreateCommand(
            $"""
            {SelectPost}
            where p.status = $4
              and ($1::timestamptz is null or (p.published_at, p.id) < ($1, $2))
            order by p.published_at desc, p.id desc
            limit $3
            """);
        command.Parameters.Add(new() { Value = (object?)after?.PublishedAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = after?.PostId ?? Guid.Empty });
        command.Parameters.Add(new() { Value = limit + 1 });
        command.Parameters.Add(new() { Value = PostStatus.Published.ToDatabase() });
        var posts = await ReadAllAsync(command, cancellationToken);
        if (posts.Count <= limit)
        {
            return new TimelinePage(posts, null);
        }

        var last = posts[limit - 1];
        return new TimelinePage(posts.Take(limit).ToList(), new TimelineCursor(last.PublishedAt!.Value, last.Id).Encode());
    }

    /// <summary>
    /// Moves a post to <paramref name="to"/> if it is currently in one of <paramref name="from"/>; false otherwise.
    /// Runs on the caller's connection so the change commits with the decision that caused it.
    /// </summary>
    public static async Task<bool> TransitionAsync(NpgsqlConnection connection, Guid postId, PostStatus to, IReadOnlyCollection<PostStatus> from,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            update ingest.posts
            set status = $2, published_at = case when $4 then now() else published_at end
            where id = $1 and status = any($3)
            """, connection);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = to.ToDatabase() });
        command.Parameters.Add(new() { Value = from.Select(s => s.ToDatabase()).ToArray() });
        command.Parameters.Add(new() { Value = to == PostStatus.Published });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    internal static async Task<List<Post>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var posts = new List<Post>();
        while (await reader.ReadAsync(cancellationToken))
        {
            posts.Add(new Post(
                reader.GetGuid(0),
                new PostAuthor(reader.GetGuid(1), reader.GetString(2), reader.GetString(3)),
                new PostMedia(reader.GetString(4), reader.GetString(5), reader.GetInt32(6), reader.GetInt32(7)),
                reader.GetString(13),
                reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                DatabaseNames.Parse<PostStatus>(reader.GetString(10)),
                reader.GetFieldValue<DateTimeOffset>(11),
                reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12)));
        }

        return posts;
    }
}
