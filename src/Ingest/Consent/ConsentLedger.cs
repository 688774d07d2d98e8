using AiSocial.Ingest.Audit;
using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Ingest.Consent;

/// <summary>The CAWG training-and-mining purposes a person can grant or withdraw.</summary>
public static class ConsentPurposes
{
    public const string DataMining = "cawg.data_mining";
    public const string AiInference = "cawg.ai_inference";
    public const string AiTraining = "cawg.ai_training";
    public const string AiGenerativeTraining = "cawg.ai_generative_training";

    public static readonly IReadOnlyList<string> All = [DataMining, AiInference, AiTraining, AiGenerativeTraining];

    public const string Rule = $"Purpose must be one of {DataMining}, {AiInference}, {AiTraining}, {AiGenerativeTraining}.";
}

public sealed record ConsentEvent(long Id, Guid AccountId, string Purpose, bool Granted, string TermsVersion, DateTimeOffset OccurredAt, string? Source);

public sealed record ConsentChange(string? Purpose, bool? Granted, string? TermsVersion);

/// <summary>
/// Consent as an append-only ledger (GDPR Art. 7(1)): each grant or withdrawal is a new event, so the platform can show
/// which consent covered any use. The current state is the latest event per purpose. Every change is also audited.
/// </summary>
public sealed class ConsentLedger(NpgsqlDataSource dataSource, AuditLog audit)
{
    public const int MaxTermsVersionLength = 40;
    public const string TermsVersionRule = "Terms version must be 1–40 characters.";

    /// <summary>Appends the event (and its audit entry); refused, with nothing recorded, when a field is invalid.</summary>
    public async Task<Outcome<ConsentEvent>> RecordAsync(Actor actor, Guid accountId, ConsentChange change, string? source,
        CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (change.Purpose is null || !ConsentPurposes.All.Contains(change.Purpose))
        {
            errors.Add("purpose", ConsentPurposes.Rule);
        }

        if (change.Granted is null)
        {
            errors.Add("granted", "Say whether consent is granted (true) or withdrawn (false).");
        }

        var terms = change.TermsVersion?.Trim() ?? "";
        if (terms.Length is 0 or > MaxTermsVersionLength)
        {
            errors.Add("termsVersion", TermsVersionRule);
        }
        else if (TextRules.Problem(terms, multiLine: false) is { } unreadable)
        {
            errors.Add("termsVersion", $"The terms version {unreadable}.");
        }

        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        ConsentEvent recorded;
        await using (var command = new NpgsqlCommand(
            """
            insert into ingest.consent_events (account_id, purpose, granted, terms_version, source)
            values ($1, $2, $3, $4, $5)
            returning id, occurred_at
            """, connection))
        {
            command.Parameters.Add(new() { Value = accountId });
            command.Parameters.Add(new() { Value = change.Purpose! });
            command.Parameters.Add(new() { Value = change.Granted!.Value });
            command.Parameters.Add(new() { Value = terms });
            command.Parameters.Add(new() { Value = (object?)source ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            recorded = new ConsentEvent(reader.GetInt64(0), accountId, change.Purpose!, change.Granted.Value, terms,
                reader.GetFieldValue<DateTimeOffset>(1), source);
        }

        await audit.AppendAsync(connection, actor, recorded.Granted ? "consent.grant" : "consent.withdraw", "account",
            accountId.ToString(), new { recorded.Id, recorded.Purpose, recorded.TermsVersion }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return recorded;
    }

    /// <summary>The latest event for each purpose the account ever answered.</summary>
    public async Task<IReadOnlyList<ConsentEvent>> CurrentAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            select distinct on (purpose) {Columns}
            from ingest.consent_events where account_id = $1
            order by purpose, id desc
            """);
        command.Parameters.Add(new() { Value = accountId });
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<ConsentEvent>> HistoryAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select {Columns} from ingest.consent_events where account_id = $1 order by id desc");
        command.Parameters.Add(new() { Value = accountId });
        return await ReadAsync(command, cancellationToken);
    }

    private const string Columns = "id, account_id, purpose, granted, terms_version, occurred_at, source";

    private static async Task<IReadOnlyList<ConsentEvent>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<ConsentEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new ConsentEvent(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetBoolean(3),
                reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return events;
    }
}
