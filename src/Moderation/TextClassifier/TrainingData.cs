using System.Buffers.Binary;
using System.Security.Cryptography;
using AiSocial.Ingest.Database;
using AiSocial.Moderation.Review;
using Npgsql;

namespace AiSocial.Moderation.TextClassifier;

/// <summary>One labelled post as the classifier sees it: its composed text and whether reviewers took it down.</summary>
public sealed record TrainingRow(Guid PostId, string Text, bool Unsafe, long LabelId, DateTimeOffset LabelledAt);

/// <summary>
/// Exactly what a version was trained on: counts, the newest human label it saw (the high-water mark the retrain job
/// counts new labels from), and a SHA-256 over the ordered (post id, label) list.
/// </summary>
public sealed record TrainingSnapshot(
    int Rows, int Positives, int TrainingRows, int HeldOutRows, int HeldOutPositives, long MaxLabelId, DateTimeOffset MaxLabelAt,
    string LabelsSha256)
{
    /// <summary>The snapshot of rows ordered by post id (as PostgreSQL orders uuids); the hold-out takes the given percent.</summary>
    public static TrainingSnapshot Of(IReadOnlyList<TrainingRow> rows, int heldOutPercent)
    {
        if (rows.Count == 0)
        {
            throw new ArgumentException("A snapshot needs at least one row.", nameof(rows));
        }

        var heldOut = rows.Where(r => TrainingData.IsHeldOut(r.PostId, heldOutPercent)).ToList();
        return new TrainingSnapshot(
            rows.Count, rows.Count(r => r.Unsafe), rows.Count - heldOut.Count, heldOut.Count, heldOut.Count(r => r.Unsafe),
            rows.Max(r => r.LabelId), rows.Max(r => r.LabelledAt), TrainingData.LabelsSha256(rows));
    }
}

/// <summary>
/// Reads the classifier's training data: every post whose latest human label is a decision, with its prompt, caption
/// and OCR text. Reviewers approving is safe (0); removing or rejecting is unsafe (1). Policy labels are not used:
/// they are the platform's own guesses, not judgements to learn from.
/// </summary>
internal static class TrainingData
{
    /// <summary>The binary target for a human decision.</summary>
    public static bool IsUnsafe(LabelDecision decision) => decision is not LabelDecision.Approve;

    /// <summary>Whether a post is held out from training, by a hash of its id: stable, and independent of the other rows.</summary>
    public static bool IsHeldOut(Guid postId, int percent)
    {
        Span<byte> id = stackalloc byte[16];
        postId.TryWriteBytes(id, bigEndian: true, out _);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(id, hash);
        return BinaryPrimitives.ReadUInt32BigEndian(hash) % 100 < (uint)percent;
    }

    /// <summary>SHA-256 over the rows in order: per row the post id's 16 bytes (RFC 4122 order) and one byte, 1 for unsafe.</summary>
    public static string LabelsSha256(IEnumerable<TrainingRow> rows)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> entry = stackalloc byte[17];
        foreach (var row in rows)
        {
            row.PostId.TryWriteBytes(entry, bigEndian: true, out _);
            entry[16] = row.Unsafe ? (byte)1 : (byte)0;
            hash.AppendData(entry);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Every labelled post, ordered by post id; one statement, so rows and high-water mark come from one snapshot.</summary>
    public static async Task<IReadOnlyList<TrainingRow>> ReadAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            with latest as (
                select distinct on (post_id) id, post_id, decision, created_at
                from moderation.labels where source = 'human'
                order by post_id, id desc
            )
            select p.id, p.prompt, p.caption, ocr.text, l.decision, l.id, l.created_at
            from latest l
            join ingest.posts p on p.id = l.post_id
            -- Content of erased accounts is never used, for anything (their posts keep no texts either).
            join ingest.accounts a on a.id = p.author_id and a.erased_at is null
            left join lateral (
                select s.detail ->> 'text' as text from moderation.signals s
                where s.post_id = p.id and s.source = 'ocr' and jsonb_typeof(s.detail -> 'text') = 'string'
                order by s.id desc limit 1
            ) ocr on true
            order by p.id
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<TrainingRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var text = TextClassifierText.Compose([reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3)]);
            rows.Add(new TrainingRow(reader.GetGuid(0), text, IsUnsafe(DatabaseNames.Parse<LabelDecision>(reader.GetString(4))), reader.GetInt64(5),
                reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return rows;
    }

    /// <summary>Human labels recorded after the given label id (the high-water mark of a version's snapshot).</summary>
    public static async Task<long> CountHumanLabelsAfterAsync(NpgsqlDataSource dataSource, long labelId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select count(*) from moderation.labels where source = 'human' and id > $1");
        command.Parameters.Add(new() { Value = labelId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
