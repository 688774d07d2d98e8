using Npgsql;

namespace AiSocial.Ingest.Posts;

/// <summary>
/// Whose eyes a post's prompt (and negative prompt) is for: everyone's when public, its author's followers' when
/// <see cref="PromptVisibility.Followers"/>, its author's alone when private. Everyone who sees a post sees its image.
/// </summary>
public sealed class PromptAudience(NpgsqlDataSource dataSource)
{
    /// <summary>The ids of those <paramref name="shown"/> posts whose prompt the viewer may read, in one query at most.</summary>
    public async Task<IReadOnlySet<Guid>> PromptsShownAsync(Guid? viewerId, IEnumerable<Post> shown, CancellationToken cancellationToken)
    {
        var posts = shown.ToList();
        var visible = posts.Where(p => p.PromptVisibility == PromptVisibility.Public || p.Author.Id == viewerId).Select(p => p.Id).ToHashSet();
        var followersOnly = posts.Where(p => p.PromptVisibility == PromptVisibility.Followers && p.Author.Id != viewerId).ToList();
        if (viewerId is not { } viewer || followersOnly.Count == 0)
        {
            return visible;
        }

        await using var command = dataSource.CreateCommand(
            "select followee_id from ingest.follows where follower_id = $1 and followee_id = any($2)");
        command.Parameters.Add(new() { Value = viewer });
        command.Parameters.Add(new() { Value = followersOnly.Select(p => p.Author.Id).Distinct().ToArray() });
        var followed = new HashSet<Guid>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                followed.Add(reader.GetGuid(0));
            }
        }

        visible.UnionWith(followersOnly.Where(p => followed.Contains(p.Author.Id)).Select(p => p.Id));
        return visible;
    }

    public async Task<bool> PromptShownAsync(Guid? viewerId, Post post, CancellationToken cancellationToken) =>
        (await PromptsShownAsync(viewerId, [post], cancellationToken)).Contains(post.Id);
}
