using System.Runtime.CompilerServices;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Posts;
using Npgsql;

namespace AiSocial.Ingest.Consent;

/// <summary>The consent event that decides whether a post may be used: the author's latest for the purpose.</summary>
public sealed record CoveringConsent(long EventId, bool Granted, string TermsVersion, DateTimeOffset OccurredAt);

/// <summary>A post as a dataset export sees it: its state, media and the author's consent as of the snapshot.</summary>
public sealed record TrainingCandidate(
    Guid PostId, Guid AuthorId, PostStatus Status, string Prompt, string? Caption, PostMedia Media,
    DateTimeOffset CreatedAt, DateTimeOffset? PublishedAt, CoveringConsent? Consent)
{
    /// <summary>False when the post itself is kept out of training, whatever the author's consent; null leaves it to that consent.</summary>
    public bool? AllowTraining { get; init; }

    /// <summary>Set when the author deleted the post: a tombstone, used for nothing.</summary>
    public DateTimeOffset? DeletedAt { get; init; }
}

/// <summary>
/// Reads every post with its author's consent for one purpose. Runs on the caller's connection so an export can
/// read it inside one repeatable-read snapshot together with the moderation labels.
/// </summary>
public static class TrainingCandidates
{
    public static async IAsyncEnumerable<TrainingCandidate> ReadAsync(NpgsqlConnection connection, string purpose,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            select p.id, p.author_id, p.status, p.prompt, p.caption, m.sha256, m.content_type, m.width, m.height,
                   p.created_at, p.published_at, c.id, c.granted, c.terms_version, c.occurred_at, p.allow_training, p.deleted_at
            from ingest.posts p
            join ingest.media m on m.sha256 = p.media_sha256
            left join lateral (
                select id, granted, terms_version, occurred_at from ingest.consent_events ce
                where ce.account_id = p.author_id and ce.purpose = $1
                order by ce.id desc limit 1
            ) c on true
            order by p.id
            """, connection);
        command.Parameters.Add(new() { Value = purpose });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new TrainingCandidate(
                reader.GetGuid(0), reader.GetGuid(1), DatabaseNames.Parse<PostStatus>(reader.GetString(2)), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                new PostMedia(reader.GetString(5), reader.GetString(6), reader.GetInt32(7), reader.GetInt32(8)),
                reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                reader.IsDBNull(11) ? null : new CoveringConsent(reader.GetInt64(11), reader.GetBoolean(12), reader.GetString(13),
                    reader.GetFieldValue<DateTimeOffset>(14)))
            {
                AllowTraining = reader.IsDBNull(15) ? null : reader.GetBoolean(15),
                DeletedAt = reader.IsDBNull(16) ? null : reader.GetFieldValue<DateTimeOffset>(16),
            };
        }
    }

    public static async Task<long> CountAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select count(*) from ingest.posts", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The newest consent event id: which state of the ledger an export saw.</summary>
    public static async Task<long> LedgerHeadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select coalesce(max(id), 0) from ingest.consent_events", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
