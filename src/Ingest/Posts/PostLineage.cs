using Npgsql;

namespace AiSocial.Ingest.Posts;

/// <summary>What a viewer learns of one ancestor in a post's lineage.</summary>
public enum AncestorState
{
    /// <summary>The viewer may see it: <see cref="Ancestor.Post"/> holds it.</summary>
    Visible,

    /// <summary>Its author deleted it; the link stays so the lineage does not break.</summary>
    Deleted,

    /// <summary>Not published, or a block lies between the viewer and its author: nothing of it is shown.</summary>
    Unavailable,
}

public sealed record Ancestor(Guid Id, AncestorState State, Post? Post);

/// <summary>Remix lineage: the posts a post was remixed from, up to the root, and the posts remixed from it.</summary>
public sealed class PostLineage(NpgsqlDataSource dataSource, PostStore posts)
{
    // Lineage links are set once, to a post that already existed, so chains end; this only bounds a damaged database.
    private const int MaxDepth = 10_000;

    /// <summary>The ancestors of a post, nearest first; null when the viewer may not see the post itself.</summary>
    public async Task<IReadOnlyList<Ancestor>?> AncestorsAsync(Guid postId, Guid? viewerId, CancellationToken cancellationToken)
    {
        if (await posts.GetVisibleAsync(postId, viewerId, cancellationToken) is null)
        {
            return null;
        }

        var chain = new List<(Guid Id, AncestorState State)>();
        await using (var command = dataSource.CreateCommand(
            $"""
            with recursive chain (id, remix_of, depth) as (
                select id, remix_of, 0 from ingest.posts where id = $1
                union all
                select p.id, p.remix_of, c.depth + 1 from chain c join ingest.posts p on p.id = c.remix_of where c.depth < $3
            )
            select p.id,
                   case when ingest.blocked_between(p.author_id, $2) then 'unavailable'
                        when p.deleted_at is not null then 'deleted'
                        when {PostStore.VisibleTo("$2")} then 'visible'
                        else 'unavailable' end
            from chain c join ingest.posts p on p.id = c.id
            where c.depth > 0
            order by c.depth
            """))
        {
            command.Parameters.Add(new() { Value = postId });
            command.Parameters.Add(new() { Value = viewerId ?? Guid.Empty });
            command.Parameters.Add(new() { Value = MaxDepth });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                chain.Add((reader.GetGuid(0), Enum.Parse<AncestorState>(reader.GetString(1), ignoreCase: true)));
            }
        }

        var shown = await posts.GetManyAsync(chain.Where(a => a.State == AncestorState.Visible).Select(a => a.Id).ToList(), cancellationToken);
        return chain.Select(a => a.State == AncestorState.Visible && shown.TryGetValue(a.Id, out var post)
            ? new Ancestor(a.Id, AncestorState.Visible, post)
            : new Ancestor(a.Id, a.State == AncestorState.Visible ? AncestorState.Unavailable : a.State, null)).ToList();
    }

    /// <summary>
    /// The direct remixes of a post the viewer may see, newest first, paged by (created_at, id); null when the viewer may
    /// not see the post itself.
    /// </summary>
    public async Task<PostPage?> RemixesAsync(Guid postId, Guid? viewerId, PostCursor? after, int limit, CancellationToken cancellationToken)
    {
        if (await posts.GetVisibleAsync(postId, viewerId, cancellationToken) is null)
        {
            return null;
        }

        limit = Math.Clamp(limit, 1, PostStore.MaxPageSize);
        await using var command = dataSource.CreateCommand(
            $"""
            {PostStore.SelectPost}
            where p.remix_of = $1 and {PostStore.VisibleTo("$2")}
              and ($3::timestamptz is null or (p.created_at, p.id) < ($3, $4))
            order by p.created_at desc, p.id desc
            limit $5
            """);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = viewerId ?? Guid.Empty });
        command.Parameters.Add(new() { Value = (object?)after?.At ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = after?.PostId ?? Guid.Empty });
        command.Parameters.Add(new() { Value = limit + 1 });
        var remixes = await PostStore.ReadAllAsync(command, cancellationToken);
        if (remixes.Count <= limit)
        {
            return new PostPage(remixes, null);
        }

        var last = remixes[limit - 1];
        return new PostPage(remixes.Take(limit).ToList(), new PostCursor(last.CreatedAt, last.Id).Encode());
    }

    /// <summary>Adds to a post's remix count on the caller's transaction (the counter row may not exist yet).</summary>
    internal static async Task CountRemixesAsync(NpgsqlConnection connection, Guid postId, int delta, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            insert into ingest.post_counters (post_id, remix_count) values ($1, greatest($2, 0))
            on conflict (post_id) do update set remix_count = greatest(ingest.post_counters.remix_count + $2, 0)
            """, connection);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = (long)delta });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
