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

/// <summary>Where a consent event came from: <see cref="Kinds"/>, and the client's address when a person acted over the network.</summary>
public sealed record ConsentSource(string Kind, string? ClientAddress = null)
{
    public const string ApiKind = "api";
    public const string WebKind = "web";
    public const string ConsoleKind = "console";
    public const string ImportKind = "import";
    public const string ErasureKind = "erasure";

    public static readonly IReadOnlyList<string> Kinds = [ApiKind, WebKind, ConsoleKind, ImportKind, ErasureKind];

    public const int MaxClientAddressLength = 100;

    public static ConsentSource Api(string? clientAddress) => new(ApiKind, clientAddress);

    public static ConsentSource Console(string? clientAddress) => new(ConsoleKind, clientAddress);

    /// <summary>Events written by the platform itself: the demo seed, tests, imports from elsewhere.</summary>
    public static readonly ConsentSource Import = new(ImportKind);
}

/// <summary>One ledger event. <see cref="AccountId"/> is null once the account is erased; the subject pseudonym stays.</summary>
public sealed record ConsentEvent(long Id, Guid? AccountId, string Subject, string Purpose, bool Granted, string TermsVersion,
    DateTimeOffset OccurredAt, string SourceKind, string? PreviousHash, string Hash);

public sealed record ConsentChange(string? Purpose, bool? Granted, string? TermsVersion);

/// <summary>
/// Consent as an append-only, hash-chained ledger (GDPR Art. 7(1)): each grant or withdrawal is a new event carrying
/// the previous event's hash (computed by the database under the chain head's lock; see 0014_consent_ledger.sql and
/// <see cref="ConsentChain"/>), so the platform can show which consent covered any use and that nothing was edited.
/// The current state is the latest event per purpose. Every change is also audited.
/// </summary>
public sealed class ConsentLedger(NpgsqlDataSource dataSource, AuditLog audit)
{
    public const int MaxTermsVersionLength = 40;
    public const string TermsVersionRule = "Terms version must be 1–40 characters.";

    /// <summary>
    /// Appends the event (and its audit entry); refused, with nothing recorded, when a field is invalid or the terms
    /// version is not one the platform published.
    /// </summary>
    public async Task<Outcome<ConsentEvent>> RecordAsync(Actor actor, Guid accountId, ConsentChange change, ConsentSource source,
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

        if (!ConsentSource.Kinds.Contains(source.Kind))
        {
            throw new ArgumentException($"Unknown consent source kind {source.Kind}.", nameof(source));
        }

        var clientAddress = source.ClientAddress is { Length: > ConsentSource.MaxClientAddressLength } tooLong
            ? tooLong[..ConsentSource.MaxClientAddressLength]
            : source.ClientAddress;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (errors.ToRefusal() is null && !await TermsCatalog.IsPublishedAsync(connection, terms, cancellationToken))
        {
            var current = await TermsCatalog.CurrentAsync(connection, DateTimeOffset.UtcNow, cancellationToken);
            errors.Add("termsVersion", $"The platform never published terms version {terms}" +
                (current is null ? "." : $"; the current terms are version {current.Version}."));
        }

        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        ConsentEvent recorded;
        await using (var command = new NpgsqlCommand(
            $"""
            insert into ingest.consent_events (account_id, purpose, granted, terms_version, source_kind, client_address)
            values ($1, $2, $3, $4, $5, $6)
            returning {Columns}
            """, connection))
        {
            command.Parameters.Add(new() { Value = accountId });
            command.Parameters.Add(new() { Value = change.Purpose! });
            command.Parameters.Add(new() { Value = change.Granted!.Value });
            command.Parameters.Add(new() { Value = terms });
            command.Parameters.Add(new() { Value = source.Kind });
            command.Parameters.Add(new() { Value = (object?)clientAddress ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            recorded = (await ReadAsync(command, cancellationToken)).Single();
        }

        await audit.AppendAsync(connection, actor, recorded.Granted ? "consent.grant" : "consent.withdraw", "account",
            accountId.ToString(), new { recorded.Id, recorded.Purpose, recorded.TermsVersion, Source = source.Kind, recorded.Hash }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return recorded;
    }

    /// <summary>
    /// Erasure's half of the ledger, inside the caller's open transaction: appends a withdrawal (source
    /// <c>erasure</c>, under the current terms) for every purpose the account still grants, audits each, then nulls the
    /// account's personal columns on all its events. The pseudonymous subject and every hash stay, so the chain still
    /// verifies and the ledger shows that consent ended. Returns the withdrawals appended.
    /// </summary>
    public static async Task<IReadOnlyList<ConsentEvent>> ForgetAccountAsync(NpgsqlConnection connection, Guid accountId,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<ConsentEvent> withdrawals;
        await using (var command = new NpgsqlCommand(
            $"""
            insert into ingest.consent_events (account_id, purpose, granted, terms_version, source_kind)
            select $1, latest.purpose, false,
                   (select version from ingest.terms_versions order by effective_at <= now() desc, effective_at desc limit 1),
                   'erasure'
            from (
                select distinct on (purpose) purpose, granted from ingest.consent_events
                where account_id = $1 order by purpose, id desc
            ) latest
            where latest.granted
            order by latest.purpose
            returning {Columns}
            """, connection))
        {
            command.Parameters.Add(new() { Value = accountId });
            withdrawals = await ReadAsync(command, cancellationToken);
        }

        foreach (var withdrawal in withdrawals)
        {
            await AuditLog.InsertAsync(connection, Actor.System("erasure"), "consent.withdraw", "account", accountId.ToString(),
                new { withdrawal.Id, withdrawal.Purpose, withdrawal.TermsVersion, Source = ConsentSource.ErasureKind, withdrawal.Hash },
                cancellationToken);
        }

        await using (var command = new NpgsqlCommand(
            """
            update ingest.consent_events set account_id = null, client_address = null, client_address_salt = null
            where account_id = $1
            """, connection))
        {
            command.Parameters.Add(new() { Value = accountId });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return withdrawals;
    }

    /// <summary>The newest event's hash in lower hex (what a dataset manifest records), or null while the ledger is empty.</summary>
    public async Task<string?> HeadHashAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await HeadHashAsync(connection, cancellationToken);
    }

    /// <summary>The same on the caller's connection, so an export reads it inside its snapshot.</summary>
    public static async Task<string?> HeadHashAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select hash from ingest.consent_events order by id desc limit 1", connection);
        return await command.ExecuteScalarAsync(cancellationToken) is byte[] hash ? Convert.ToHexStringLower(hash) : null;
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

    /// <summary>Every event of the account, newest first.</summary>
    public async Task<IReadOnlyList<ConsentEvent>> HistoryAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select {Columns} from ingest.consent_events where account_id = $1 order by id desc");
        command.Parameters.Add(new() { Value = accountId });
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>The pseudonym an account's events carry, kept after erasure: lower-hex SHA-256 of the id's text.</summary>
    public static string SubjectOf(Guid accountId) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(accountId.ToString())));

    private const string Columns = "id, account_id, subject, purpose, granted, terms_version, occurred_at, source_kind, prev_hash, hash";

    private static async Task<IReadOnlyList<ConsentEvent>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<ConsentEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new ConsentEvent(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.GetString(2),
                reader.GetString(3), reader.GetBoolean(4), reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7),
                reader.IsDBNull(8) ? null : Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(8)),
                Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(9))));
        }

        return events;
    }
}
