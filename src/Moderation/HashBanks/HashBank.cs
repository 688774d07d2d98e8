using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Media;
using AiSocial.Problems;
using AiSocial.SafetyModels.Pdq;
using Npgsql;

namespace AiSocial.Moderation.HashBanks;

public sealed record HashBankEntry(long Id, string Bank, string Sha256, string Reason, string AddedBy, DateTimeOffset AddedAt);

/// <summary>
/// Banks of known-bad media, by exact SHA-256 or by PDQ perceptual hash (see <see cref="PdqBankIndex"/>). Adding an
/// entry is a staff action and is audited.
/// </summary>
public sealed class HashBank(NpgsqlDataSource dataSource, AuditLog audit)
{
    /// <summary>Adds a SHA-256 to a bank: true when added, false when the bank already holds it; refused when it is not a SHA-256.</summary>
    public async Task<Outcome<bool>> AddAsync(Actor actor, string bank, string sha256, string reason, CancellationToken cancellationToken) =>
        MediaStore.IsSha256(sha256)
            ? await AddEntryAsync(actor, "hash_bank_entries", "sha256", bank, sha256, reason, "hashbank.add", "media", cancellationToken)
            : Refusal.Invalid("sha256", "Expected 64 lowercase hex characters.");

    /// <summary>Adds a PDQ hash given as 64 hex digits; anything else is refused.</summary>
    public async Task<Outcome<bool>> AddPdqAsync(Actor actor, string bank, string pdqHex, string reason, CancellationToken cancellationToken) =>
        PdqHash.TryParse(pdqHex, out var hash)
            ? await AddPdqAsync(actor, bank, hash, reason, cancellationToken)
            : Refusal.Invalid("pdq", $"Expected {PdqHash.HexLength} hex characters.");

    /// <summary>Adds a PDQ hash to a bank; false when the bank already holds it.</summary>
    public async Task<bool> AddPdqAsync(Actor actor, string bank, PdqHash pdq, string reason, CancellationToken cancellationToken)
    {
        var hex = pdq.ToHex();
        return await AddEntryAsync(actor, "pdq_bank_entries", "pdq", bank, hex, reason, "hashbank.add_pdq", "pdq", cancellationToken);
    }

    // Both kinds of bank: insert unless the bank holds the hash already, and audit only what was added, in one transaction.
    private async Task<bool> AddEntryAsync(Actor actor, string table, string hashColumn, string bank, string hash, string reason,
        string auditAction, string auditSubject, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            insert into moderation.{table} (bank, {hashColumn}, reason, added_by) values ($1, $2, $3, $4)
            on conflict (bank, {hashColumn}) do nothing
            """, connection);
        command.Parameters.Add(new() { Value = bank });
        command.Parameters.Add(new() { Value = hash });
        command.Parameters.Add(new() { Value = reason });
        command.Parameters.Add(new() { Value = actor.Name });
        var added = await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        if (added)
        {
            await audit.AppendAsync(connection, actor, auditAction, auditSubject, hash, new { bank, reason }, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    public async Task<IReadOnlyList<HashBankEntry>> FindBySha256Async(string sha256, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select id, bank, sha256, reason, added_by, added_at from moderation.hash_bank_entries where sha256 = $1 order by id");
        command.Parameters.Add(new() { Value = sha256 });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<HashBankEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new HashBankEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return entries;
    }
}
