using System.Text.Json;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Creators;
using AiSocial.Ingest.Media;
using Npgsql;

namespace AiSocial.Export.Runs;

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
