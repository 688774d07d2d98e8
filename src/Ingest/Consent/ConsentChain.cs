using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace AiSocial.Ingest.Consent;

/// <summary>The result of walking the ledger: OK with the event count and head, or the first event that breaks the chain and why.</summary>
public sealed record ChainCheck(long Events, string? HeadHash, long? BrokenEventId, string? Reason)
{
    public bool Ok => Reason is null;
}

/// <summary>
/// Walks the whole consent ledger in id order and recomputes every hash on its own (not with the database's
/// function), so an edited field, a removed event or a rewritten hash is found. The hash covers the previous hash and
/// the event's fields in a fixed text form (<see cref="Hash"/>; the same as <c>ingest.consent_event_hash</c>).
/// </summary>
public static class ConsentChain
{
    public static async Task<ChainCheck> VerifyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One snapshot for the walk and the head, so an event appended meanwhile is not mistaken for a break.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        return await VerifyAsync(connection, cancellationToken);
    }

    public static async Task<ChainCheck> VerifyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        long count = 0;
        long? previousId = null;
        byte[]? previousHash = null;
        await using (var command = new NpgsqlCommand(
            """
            select id, account_id, subject, purpose, granted, terms_version, source_kind, client_address,
                   client_address_salt, client_address_digest, occurred_at, prev_hash, hash
            from ingest.consent_events order by id
            """, connection))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetInt64(0);
                Guid? accountId = reader.IsDBNull(1) ? null : reader.GetGuid(1);
                var subject = reader.GetString(2);
                var clientAddress = reader.IsDBNull(7) ? null : reader.GetString(7);
                var salt = reader.IsDBNull(8) ? null : reader.GetFieldValue<byte[]>(8);
                var digest = reader.IsDBNull(9) ? null : reader.GetFieldValue<byte[]>(9);
                var prev = reader.IsDBNull(11) ? null : reader.GetFieldValue<byte[]>(11);
                var hash = reader.GetFieldValue<byte[]>(12);
                count++;

                string? reason = null;
                if (!SameBytes(prev, previousHash))
                {
                    reason = previousId is null
                        ? "it is the first event but names a previous hash: the events before it were removed"
                        : id == previousId + 1
                            ? $"its previous hash is not the hash of event {previousId}: an event was removed or rewritten"
                            : $"its previous hash is not the hash of event {previousId}: events {previousId + 1}–{id - 1} were removed or one was rewritten";
                }
                else if (accountId is { } account && subject != ConsentLedger.SubjectOf(account))
                {
                    reason = "its account is not the one its subject pseudonym was made from: the account was changed";
                }
                else if (clientAddress is not null && (salt is null || digest is null || !SameBytes(digest, AddressDigest(salt, clientAddress))))
                {
                    reason = "its client address does not match the address digest: the address was changed";
                }
                else if (accountId is not null && clientAddress is null && digest is not null)
                {
                    reason = "its client address was removed while the account was not erased";
                }
                else if (!SameBytes(hash, Hash(prev, id, subject, reader.GetString(3), reader.GetBoolean(4), reader.GetString(5),
                             reader.GetString(6), digest, reader.GetFieldValue<DateTimeOffset>(10))))
                {
                    reason = "its hash does not match its contents: the event was changed";
                }

                if (reason is not null)
                {
                    return new ChainCheck(count, previousHash is null ? null : Convert.ToHexStringLower(previousHash), id, $"event {id}: {reason}");
                }

                previousId = id;
                previousHash = hash;
            }
        }

        await using (var command = new NpgsqlCommand("select event_id, hash from ingest.consent_chain_head", connection))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var headId = reader.GetInt64(0);
            var headHash = reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1);
            if (headId != (previousId ?? 0) || !SameBytes(headHash, previousHash))
            {
                return new ChainCheck(count, previousHash is null ? null : Convert.ToHexStringLower(previousHash), headId,
                    $"event {headId}: the chain head records it as the newest event, but the ledger ends at {(previousId is { } last ? $"event {last}" : "no event")}: the newest events were removed or changed");
            }
        }

        return new ChainCheck(count, previousHash is null ? null : Convert.ToHexStringLower(previousHash), null, null);
    }

    /// <summary>
    /// An event's hash: SHA-256 of the previous hash's bytes followed by the UTF-8 of these lines joined by '\n':
    /// <c>aisocial.consent.v1</c>, id, subject, purpose, <c>granted</c>|<c>withdrawn</c>, terms version, source kind,
    /// the client address digest in lower hex (empty without one), and the time in microseconds since the Unix epoch.
    /// </summary>
    public static byte[] Hash(byte[]? previousHash, long id, string subject, string purpose, bool granted, string termsVersion,
        string sourceKind, byte[]? clientAddressDigest, DateTimeOffset occurredAt)
    {
        var microseconds = (occurredAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (TimeSpan.TicksPerMillisecond / 1000);
        var text = string.Join('\n', "aisocial.consent.v1", id.ToString(CultureInfo.InvariantCulture), subject, purpose,
            granted ? "granted" : "withdrawn", termsVersion, sourceKind,
            clientAddressDigest is null ? "" : Convert.ToHexStringLower(clientAddressDigest),
            microseconds.ToString(CultureInfo.InvariantCulture));
        return SHA256.HashData([.. previousHash ?? [], .. Encoding.UTF8.GetBytes(text)]);
    }

    private static byte[] AddressDigest(byte[] salt, string address) => SHA256.HashData([.. salt, .. Encoding.UTF8.GetBytes(address)]);

    private static bool SameBytes(byte[]? a, byte[]? b) => a is null || b is null ? a is null && b is null : a.AsSpan().SequenceEqual(b);
}
