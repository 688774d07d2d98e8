using Microsoft.Extensions.Logging;
using Npgsql;

namespace AiSocial.Ingest.Database;

/// <summary>
/// Applies every module's scripts in order, inside one transaction, and records each in a journal with its
/// checksum. A script that was changed after it was applied stops the runner: migrations are append-only.
/// </summary>
public sealed class MigrationRunner(NpgsqlDataSource dataSource, IEnumerable<MigrationModule> modules, ILogger<MigrationRunner> logger)
{
    // Serialises hosts that start at the same moment against the same database.
    private const long AdvisoryLockKey = 0x4169536f6369616c; // "AiSocial"

    private readonly IReadOnlyList<MigrationModule> _modules = modules.OrderBy(m => m.Order).ToList();

    public IReadOnlyList<MigrationScript> Scripts() => _modules.SelectMany(m => m.LoadScripts()).ToList();

    public async Task<IReadOnlyList<MigrationScript>> ApplyAsync(CancellationToken cancellationToken = default)
    {
        var scripts = Scripts();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("select pg_advisory_xact_lock($1)", connection))
        {
            command.Parameters.Add(new() { Value = AdvisoryLockKey });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(
            """
            create schema if not exists aisocial_meta;
            create table if not exists aisocial_meta.migrations (
                module     text        not null,
                script     text        not null,
                checksum   text        not null,
                applied_at timestamptz not null default now(),
                primary key (module, script)
            );
            """, connection))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var journal = await ReadJournalAsync(connection, cancellationToken);
        EnsureUnchanged(scripts, journal);

        var applied = new List<MigrationScript>();
        foreach (var script in scripts.Where(s => !journal.ContainsKey((s.Module, s.Name))))
        {
            logger.LogInformation("Applying migration {Module}/{Script}", script.Module, script.Name);
            await using (var command = new NpgsqlCommand(script.Sql, connection))
            {
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var command = new NpgsqlCommand(
                "insert into aisocial_meta.migrations (module, script, checksum) values ($1, $2, $3)", connection))
            {
                command.Parameters.Add(new() { Value = script.Module });
                command.Parameters.Add(new() { Value = script.Name });
                command.Parameters.Add(new() { Value = script.Checksum });
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            applied.Add(script);
        }

        await transaction.CommitAsync(cancellationToken);
        return applied;
    }

    /// <summary>Scripts not yet applied; throws if the journal disagrees with the scripts shipped.</summary>
    public async Task<IReadOnlyList<MigrationScript>> PendingAsync(CancellationToken cancellationToken = default)
    {
        var scripts = Scripts();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("select to_regclass('aisocial_meta.migrations') is not null", connection))
        {
            if (!(bool)(await command.ExecuteScalarAsync(cancellationToken))!)
            {
                return scripts;
            }
        }

        var journal = await ReadJournalAsync(connection, cancellationToken);
        EnsureUnchanged(scripts, journal);
        return scripts.Where(s => !journal.ContainsKey((s.Module, s.Name))).ToList();
    }

    private static async Task<Dictionary<(string Module, string Script), string>> ReadJournalAsync(
        NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var journal = new Dictionary<(string, string), string>();
        await using var command = new NpgsqlCommand("select module, script, checksum from aisocial_meta.migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            journal[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
        }

        return journal;
    }

    private static string Abbreviate(string checksum) => checksum.Length > 12 ? $"{checksum[..12]}…" : checksum;

    private void EnsureUnchanged(IReadOnlyList<MigrationScript> scripts, Dictionary<(string Module, string Script), string> journal)
    {
        var known = _modules.Select(m => m.Name).ToHashSet();
        foreach (var script in scripts)
        {
            if (journal.TryGetValue((script.Module, script.Name), out var checksum) && checksum != script.Checksum)
            {
                throw new MigrationJournalMismatchException(
                    $"Migration {script.Module}/{script.Name} was changed after it was applied " +
                    $"(journal checksum {Abbreviate(checksum)}, script {Abbreviate(script.Checksum)}). " +
                    "Applied scripts are never edited: restore it and add a new script instead.");
            }
        }

        var shipped = scripts.Select(s => (s.Module, s.Name)).ToHashSet();
        var missing = journal.Keys.Where(k => known.Contains(k.Module) && !shipped.Contains(k)).ToList();
        if (missing.Count > 0)
        {
            throw new MigrationJournalMismatchException(
                $"Migration {missing[0].Module}/{missing[0].Script} was applied to this database but is not in this build. " +
                "The database is newer than the code, or an applied script was deleted.");
        }
    }
}

internal sealed class MigrationJournalMismatchException(string message) : Exception(message);
