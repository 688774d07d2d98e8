using AiSocial.Ingest.Audit;
using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Ingest.Consent;

/// <summary>A published version of the terms a consent event refers to. It never changes once published.</summary>
public sealed record TermsVersion(string Version, DateTimeOffset EffectiveAt, string Text, DateTimeOffset CreatedAt);

public sealed record TermsDraft(string? Version, DateTimeOffset? EffectiveAt, string? Text);

/// <summary>
/// The terms versions the platform published. The current one is the newest already in effect; a person whose grants
/// were given under older terms is asked again (see <see cref="ConsentCoverage"/> for what those grants still cover).
/// </summary>
public sealed class TermsCatalog(NpgsqlDataSource dataSource, AuditLog audit, TimeProvider time)
{
    public const int MaxTextLength = 200_000;

    public async Task<IReadOnlyList<TermsVersion>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ListAsync(connection, cancellationToken);
    }

    /// <summary>Every published version, oldest first, on the caller's connection (an export reads them in its snapshot).</summary>
    public static async Task<IReadOnlyList<TermsVersion>> ListAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"select {Columns} from ingest.terms_versions order by effective_at", connection);
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<TermsVersion?> GetAsync(string version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select {Columns} from ingest.terms_versions where version = $1");
        command.Parameters.Add(new() { Value = version });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<TermsVersion?> CurrentAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await CurrentAsync(connection, time.GetUtcNow(), cancellationToken);
    }

    /// <summary>The newest version in effect at <paramref name="asOf"/>, or null when none is yet.</summary>
    public static async Task<TermsVersion?> CurrentAsync(NpgsqlConnection connection, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"select {Columns} from ingest.terms_versions where effective_at <= $1 order by effective_at desc limit 1", connection);
        command.Parameters.Add(new() { Value = asOf });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public static async Task<bool> IsPublishedAsync(NpgsqlConnection connection, string version, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select exists (select 1 from ingest.terms_versions where version = $1)", connection);
        command.Parameters.Add(new() { Value = version });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Publishes a new version (audited). It takes effect at a moment not yet past and after every published version,
    /// so publishing never changes which terms were current at any earlier time.
    /// </summary>
    public async Task<Outcome<TermsVersion>> PublishAsync(Actor actor, TermsDraft draft, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var version = draft.Version?.Trim() ?? "";
        if (version.Length is 0 or > ConsentLedger.MaxTermsVersionLength)
        {
            errors.Add("version", ConsentLedger.TermsVersionRule);
        }
        else if (TextRules.Problem(version, multiLine: false) is { } unreadable)
        {
            errors.Add("version", $"The terms version {unreadable}.");
        }

        var text = draft.Text?.Trim() ?? "";
        if (text.Length is 0 or > MaxTextLength)
        {
            errors.Add("text", $"The terms text must be 1–{MaxTextLength:N0} characters.");
        }
        else if (TextRules.Problem(text, multiLine: true) is { } unreadable)
        {
            errors.Add("text", $"The terms text {unreadable}.");
        }

        var now = time.GetUtcNow();
        if (draft.EffectiveAt is not { } effectiveAt)
        {
            errors.Add("effectiveAt", "Say when the terms take effect.");
        }
        else if (effectiveAt < now)
        {
            errors.Add("effectiveAt", "New terms take effect now or later, never in the past.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // One publisher at a time, so "after every published version" holds for both.
        await using (var lockCommand = new NpgsqlCommand("lock table ingest.terms_versions in share row exclusive mode", connection))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var published = await ListAsync(connection, cancellationToken);
        if (published.Any(t => t.Version == version))
        {
            errors.Add("version", $"Terms version {version} is already published; published terms never change.");
        }

        if (draft.EffectiveAt is { } at && published.Count > 0 && at <= published[^1].EffectiveAt)
        {
            errors.Add("effectiveAt", $"New terms take effect after the latest published version ({published[^1].Version}, {published[^1].EffectiveAt:u}).");
        }

        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        TermsVersion created;
        await using (var command = new NpgsqlCommand(
            $"insert into ingest.terms_versions (version, effective_at, text) values ($1, $2, $3) returning {Columns}", connection))
        {
            command.Parameters.Add(new() { Value = version });
            command.Parameters.Add(new() { Value = draft.EffectiveAt!.Value });
            command.Parameters.Add(new() { Value = text });
            created = (await ReadAsync(command, cancellationToken)).Single();
        }

        await audit.AppendAsync(connection, actor, "terms.publish", "terms", version, new { created.Version, created.EffectiveAt, Length = text.Length },
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return created;
    }

    private const string Columns = "version, effective_at, text, created_at";

    private static async Task<IReadOnlyList<TermsVersion>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new List<TermsVersion>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(new TermsVersion(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return versions;
    }
}
