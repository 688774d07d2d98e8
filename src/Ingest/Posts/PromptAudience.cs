using Npgsql;

namespace AiSocial.Ingest.Posts;

/// <summary>
/// Whose eyes a post's prompt (and negative prompt) is for: everyone's when public, its author's followers' when
/// <see cref="PromptVisibility.Followers"/>, its author's alone when private. Everyone who sees a post sees its image.
/// </summary>
public sealed class PromptAudience(NpgsqlDataSource dataSource)
{
    /// <summary>The rule itself: whether the viewer (who does or does not follow the post's author) may read its prompt.</summary>
    public static bool Shows(Post post, Guid? viewerId, bool viewerFollowsAuthor) => post.PromptVisibility switch
    {
        PromptVisibility.Public => true,
        PromptVisibility.Followers => post.Author.Id == viewerId || viewerFollowsAuthor,
        _ => post.Author.Id == viewerId,
    };

    /// <summary>The ids of those <paramref name="shown"/> posts whose prompt the viewer may read, in one query at most.</summary>
    public async Task<IReadOnlySet<Guid>> PromptsShownAsync(Guid? viewerId, IEnumerable<Post> shown, CancellationToken cancellationToken)
    {
        var posts = shown.ToList();
        // Only where following would change the answer is it asked.
        var authorsThatMatter = posts.Where(p => !Shows(p, viewerId, false) && Shows(p, viewerId, true)).Select(p => p.Author.Id).Distinct().ToArray();
        var followed = viewerId is { } viewer && authorsThatMatter.Length > 0
            ? await FollowedAsync(viewer, authorsThatMatter, cancellationToken)
            : [];
        return posts.Where(p => Shows(p, viewerId, followed.Contains(p.Author.Id))).Select(p => p.Id).ToHashSet();
    }

    private async Task<HashSet<Guid>> FollowedAsync(Guid viewer, Guid[] authors, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select followee_id from ingest.follows where follower_id = $1 and followee_id = any($2)");
        command.Parameters.Add(new() { Value = viewer });
        command.Parameters.Add(new() { Value = authors });
        var followed = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            followed.Add(reader.GetGuid(0));
        }

        return followed;
    }

    public async Task<bool> PromptShownAsync(Guid? viewerId, Post post, CancellationToken cancellationToken) =>
        (await PromptsShownAsync(viewerId, [post], cancellationToken)).Contains(post.Id);
}
