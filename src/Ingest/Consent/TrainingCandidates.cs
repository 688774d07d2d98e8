using Npgsql;

namespace AiSocial.Ingest.Consent;

/// <summary>The consent event that decides whether a post may be used: the author's latest for the purpose.</summary>
public sealed record CoveringConsent(long EventId, bool Granted, string TermsVersion, DateTimeOffset OccurredAt);

/// <summary>
/// What an export needs to know about the whole ledger and post table, on the caller's connection so it is read
/// inside the export's one repeatable-read snapshot. (The posts themselves are read by the exporter's eligibility reader.)
/// </summary>
public static class TrainingCandidates
{
    /// <summary>The newest consent event id: which state of the ledger an export saw.</summary>
    public static async Task<long> LedgerHeadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select coalesce(max(id), 0) from ingest.consent_events", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
