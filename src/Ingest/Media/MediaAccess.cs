using AiSocial.Ingest.Database;
using AiSocial.Ingest.Posts;
using Npgsql;

namespace AiSocial.Ingest.Media;

public enum MediaVisibility
{
    /// <summary>No such image, or the viewer may not know it exists.</summary>
    Hidden,

    /// <summary>Shown by a published post: anyone may fetch it, and caches may keep it.</summary>
    Public,

    /// <summary>Only the viewer's own posts show it (still pending, or refused).</summary>
    Private,
}

/// <summary>
/// Who may fetch an image (and its thumbnail). Media of a post no one has approved, or whose post was deleted, is never
/// public, even by its hash.
/// </summary>
public sealed class MediaAccess(NpgsqlDataSource dataSource)
{
    public async Task<(PostMedia? Media, MediaVisibility Visibility)> ResolveAsync(string sha256, Guid? viewerId, CancellationToken cancellationToken)
    {
        if (!MediaStore.IsSha256(sha256))
        {
            return (null, MediaVisibility.Hidden);
        }

        await using var command = dataSource.CreateCommand(
            """
            select m.content_type, m.width, m.height,
                   bool_or(p.status = $3 and p.deleted_at is null),
                   bool_or(p.author_id = $2)
            from ingest.media m join ingest.posts p on p.media_sha256 = m.sha256 and p.deleted_at is null
            where m.sha256 = $1
            group by m.sha256
            """);
        command.Parameters.Add(new() { Value = sha256 });
        command.Parameters.Add(new() { Value = viewerId ?? Guid.Empty });
        command.Parameters.Add(new() { Value = PostStatus.Published.ToDatabase() });
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                var media = new PostMedia(sha256, reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2));
                var visibility = reader.GetBoolean(3) ? MediaVisibility.Public : reader.GetBoolean(4) ? MediaVisibility.Private : MediaVisibility.Hidden;
                if (visibility != MediaVisibility.Hidden)
                {
                    return (media, visibility);
                }
            }
        }

        // An image the viewer generated is theirs to see before (or without) any post showing it.
        return viewerId is { } viewer && await GeneratedByAsync(sha256, viewer, cancellationToken) is { } generated
            ? (generated, MediaVisibility.Private)
            : (null, MediaVisibility.Hidden);
    }

    private async Task<PostMedia?> GeneratedByAsync(string sha256, Guid accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select m.content_type, m.width, m.height from ingest.media m
            where m.sha256 = $1 and exists (select 1 from ingest.generations g where g.media_sha256 = m.sha256 and g.account_id = $2)
            """);
        command.Parameters.Add(new() { Value = sha256 });
        command.Parameters.Add(new() { Value = accountId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new PostMedia(sha256, reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2)) : null;
    }

    /// <summary>
    /// Whether the image is served as allowed for AI training (<c>plus:DataMining</c> DMI-ALLOWED): only when everyone
    /// it is shown for consents now, that is every live post showing it allows training and its author's latest answer
    /// for <c>cawg.ai_training</c> is a grant, and so is the latest answer of anyone who generated it. No answer, a
    /// withdrawal or a post that opted out prohibits.
    /// </summary>
    public async Task<bool> TrainingAllowedAsync(string sha256, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            with shown as (
                select p.author_id as account_id, coalesce(p.allow_training, true) as allowed
                from ingest.posts p where p.media_sha256 = $1 and p.deleted_at is null
                union all
                select g.account_id, true from ingest.generations g where g.media_sha256 = $1
            )
            select coalesce(bool_and(s.allowed and coalesce((
                select e.granted from ingest.consent_events e
                where e.account_id = s.account_id and e.purpose = 'cawg.ai_training'
                order by e.id desc limit 1), false)), false)
            from shown s
            """);
        command.Parameters.Add(new() { Value = sha256 });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The stored facts about an image, for staff who may see any of it.</summary>
    public async Task<PostMedia?> FindAsync(string sha256, CancellationToken cancellationToken)
    {
        if (!MediaStore.IsSha256(sha256))
        {
            return null;
        }

        await using var command = dataSource.CreateCommand("select content_type, width, height from ingest.media where sha256 = $1");
        command.Parameters.Add(new() { Value = sha256 });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new PostMedia(sha256, reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2))
            : null;
    }
}
