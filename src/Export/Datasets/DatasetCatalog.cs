using System.Text.RegularExpressions;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Export.Datasets;

/// <summary>A dataset definition: its CAWG <see cref="Purpose"/> is the consent its authors must have given; sensitive posts go in only when <see cref="AllowSensitive"/>.</summary>
public sealed record Dataset(Guid Id, string Name, string Description, string Purpose, DateTimeOffset CreatedAt, string CreatedBy, bool AllowSensitive = false);

/// <summary>Named dataset definitions that ML engineers export.</summary>
public sealed partial class DatasetCatalog(NpgsqlDataSource dataSource, AuditLog audit)
{
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex NamePattern();

    /// <summary>Creates the dataset unless one with the name exists; returns it either way. Refused when the name or purpose is invalid.</summary>
    public async Task<Outcome<Dataset>> EnsureAsync(Actor actor, string name, string description, string purpose, CancellationToken cancellationToken) =>
        await EnsureAsync(actor, name, description, purpose, allowSensitive: false, cancellationToken);

    /// <inheritdoc cref="EnsureAsync(Actor, string, string, string, CancellationToken)"/>
    public async Task<Outcome<Dataset>> EnsureAsync(Actor actor, string name, string description, string purpose, bool allowSensitive,
        CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (!NamePattern().IsMatch(name))
        {
            errors.Add("name", "Dataset names are 1–63 lowercase letters, digits, '-' or '_'.");
        }

        if (!ConsentPurposes.All.Contains(purpose))
        {
            errors.Add("purpose", $"Purpose must be one of {string.Join(", ", ConsentPurposes.All)}.");
        }

        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = Guid.CreateVersion7();
        await using (var command = new NpgsqlCommand(
            """
            insert into export.datasets (id, name, description, purpose, created_by, allow_sensitive) values ($1, $2, $3, $4, $5, $6)
            on conflict (name) do nothing
            """, connection))
        {
            command.Parameters.Add(new() { Value = id });
            command.Parameters.Add(new() { Value = name });
            command.Parameters.Add(new() { Value = description });
            command.Parameters.Add(new() { Value = purpose });
            command.Parameters.Add(new() { Value = actor.Name });
            command.Parameters.Add(new() { Value = allowSensitive });
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                await audit.AppendAsync(connection, actor, "dataset.create", "dataset", name, new { description, purpose, allowSensitive }, cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(name, cancellationToken))!;
    }

    public async Task<Dataset?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{Select} where name = $1");
        command.Parameters.Add(new() { Value = name });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<Dataset>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{Select} order by name");
        return await ReadAsync(command, cancellationToken);
    }

    private const string Select = "select id, name, description, purpose, created_at, created_by, allow_sensitive from export.datasets";

    private static async Task<IReadOnlyList<Dataset>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var datasets = new List<Dataset>();
        while (await reader.ReadAsync(cancellationToken))
        {
            datasets.Add(new Dataset(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), reader.GetBoolean(6)));
        }

        return datasets;
    }
}
