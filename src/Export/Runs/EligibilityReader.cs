using System.Runtime.CompilerServices;
using System.Text.Json;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Creators;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Media;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Review;
using Npgsql;

namespace AiSocial.Export.Runs;

/// <summary>A post read for export: what eligibility decides on, and what the row is made of if it goes in (an erased post has no media).</summary>
internal sealed record ExportCandidate(EligibilityCandidate Eligibility, string Prompt, string? Caption, PostMedia? Media, DateTimeOffset? PublishedAt,
    ModerationLabel? Label);

/// <summary>
/// Reads the inputs of <see cref="Eligibility"/> on the caller's connection, so an export reads them inside its one
/// repeatable-read snapshot: the terms, every author with their consent for the purpose, the verified opt-outs, and
/// then each post with all its words (prompt, negative prompt, caption, alt text, the generator's revised prompt, OCR
/// text), its image's PDQ hash, its provenance and its open reports.
/// </summary>
internal static class EligibilityReader
{
    public static async Task<EligibilitySnapshot> SnapshotAsync(NpgsqlConnection connection, DateTimeOffset at, string purpose,
        CancellationToken cancellationToken)
    {
        var terms = await TermsCatalog.ListAsync(connection, cancellationToken);

        // Only the event in force can decide, so only it is read: the newest (ledger order) for the purpose by the snapshot.
        var consent = new Dictionary<Guid, ConsentRecord>();
        await using (var command = new NpgsqlCommand(
            """
            select distinct on (account_id) account_id, id, granted, terms_version, occurred_at
            from ingest.consent_events
            where purpose = $1 and occurred_at <= $2 and account_id is not null
            order by account_id, id desc
            """, connection))
        {
            command.Parameters.Add(new() { Value = purpose });
            command.Parameters.Add(new() { Value = at });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                consent[reader.GetGuid(0)] = new ConsentRecord(reader.GetInt64(1), purpose, reader.GetBoolean(2), reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4));
            }
        }

        var authors = new List<AuthorStanding>();
        await using (var command = new NpgsqlCommand("select id, birth_year, suspended_at, erased_at from ingest.accounts", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetGuid(0);
                authors.Add(new AuthorStanding(id, reader.GetInt32(1), NullableTime(reader, 2), NullableTime(reader, 3),
                    consent.TryGetValue(id, out var inForce) ? [inForce] : []));
            }
        }

        var optOuts = new List<OptOutRule>();
        await using (var command = new NpgsqlCommand(
            "select id, account_id, kind, value, pdq_hashes, reviewed_at, removed_at from ingest.creator_optouts where status = 'verified'", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var kind = reader.GetString(2);
                var works = reader.IsDBNull(4) ? [] : reader.GetFieldValue<byte[][]>(4).ToList();
                // Normalised here, by the same code that normalises the posts' words, so both always agree.
                optOuts.Add(new OptOutRule(reader.GetGuid(0), reader.GetGuid(1), kind, kind == OptOutKinds.Work ? null : CreatorNames.Normalize(reader.GetString(3)),
                    works, Verified: true, NullableTime(reader, 5), NullableTime(reader, 6)));
            }
        }

        return new EligibilitySnapshot(at, terms, authors, optOuts);
    }

    public static async IAsyncEnumerable<ExportCandidate> CandidatesAsync(NpgsqlConnection connection, IReadOnlyDictionary<Guid, ModerationLabel> labels,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            select p.id, p.author_id, p.status, p.created_at, p.published_at, p.deleted_at, p.sensitive, p.allow_training,
                   p.prompt, p.negative_prompt, p.caption, p.alt_text, g.revised_prompt, ocr.text,
                   m.sha256, m.content_type, m.width, m.height, m.pdq_hash, p.provenance::text, coalesce(r.open, 0)
            from ingest.posts p
            left join ingest.media m on m.sha256 = p.media_sha256
            left join ingest.generations g on g.id = p.generation_id
            left join lateral (
                select s.detail ->> 'text' as text from moderation.signals s
                where s.post_id = p.id and s.source = 'ocr' and jsonb_typeof(s.detail -> 'text') = 'string'
                order by s.id desc limit 1
            ) ocr on true
            left join (
                select subject_id, count(*)::int as open from ingest.reports
                where subject_type = 'post' and status = 'open'
                group by subject_id
            ) r on r.subject_id = p.id
            order by p.id
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            var label = labels.GetValueOrDefault(id);
            var texts = Enumerable.Range(8, 6).Select(i => reader.IsDBNull(i) ? null : reader.GetString(i)).OfType<string>().ToList();
            var candidate = new EligibilityCandidate(id, reader.GetGuid(1), DatabaseNames.Parse<PostStatus>(reader.GetString(2)), label?.Decision,
                reader.GetFieldValue<DateTimeOffset>(3))
            {
                DeletedAt = NullableTime(reader, 5),
                Sensitive = reader.GetBoolean(6),
                AllowTraining = reader.IsDBNull(7) ? null : reader.GetBoolean(7),
                Texts = texts,
                Pdq = reader.IsDBNull(18) ? null : reader.GetFieldValue<byte[]>(18),
                Signals = reader.IsDBNull(19) ? null : Signals(reader.GetString(19)),
                OpenReports = reader.GetInt32(20),
                MediaPresent = !reader.IsDBNull(14),
            };
            yield return new ExportCandidate(candidate, reader.IsDBNull(8) ? "" : reader.GetString(8), reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(14) ? null : new PostMedia(reader.GetString(14), reader.GetString(15), reader.GetInt32(16), reader.GetInt32(17)),
                NullableTime(reader, 4), label);
        }
    }

    /// <summary>The signals in <c>posts.provenance</c> (<see cref="ImageProvenance"/>); stored JSON that cannot be read is itself an unreadable signal.</summary>
    internal static IncomingSignals Signals(string json)
    {
        try
        {
            var provenance = ImageProvenance.FromJson(json);
            return new IncomingSignals(provenance.MetadataReadable, provenance.DataMining, provenance.TrainingMining);
        }
        catch (JsonException)
        {
            return new IncomingSignals(false, null, null);
        }
    }

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
