using AiSocial.Ingest.Audit;
using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Export.Datasets;

/// <summary>A dataset definition: its CAWG <see cref="Purpose"/> is the consent its authors must have given; sensitive posts go in only when <see cref="AllowSensitive"/>.</summary>
internal sealed record Dataset(Guid Id, string Name, string Description, string Purpose, DateTimeOffset CreatedAt, string CreatedBy, bool AllowSensitive = false);

/// <summary>Named dataset definitions that ML engineers export: the plain columns each spec (<see cref="DatasetSpecs"/>) mirrors.</summary>
internal sealed class DatasetCatalog(NpgsqlDataSource dataSource, DatasetSpecs specs)
{
    /// <summary>Creates the dataset unless one with the name exists; returns it either way. Refused when the name or purpose is invalid.</summary>
    public async Task<Outcome<Dataset>> EnsureAsync(Actor actor, string name, string description, string purpose, CancellationToken cancellationToken) =>
        await EnsureAsync(actor, name, description, purpose, allowSensitive: false, cancellationToken);

    /// <inheritdoc cref="EnsureAsync(Actor, string, string, string, CancellationToken)"/>
    public async Task<Outcome<Dataset>> EnsureAsync(Actor actor, string name, string description, string purpose, bool allowSensitive,
        CancellationToken cancellationToken)
    {
        if (await FindAsync(name, cancellationToken) is { } existing)
        {
            return existing;
        }

        // A full spec with the defaults (all columns, 0.8/0.1/0.1 splits, a generated salt), version 1.
        var created = await specs.CreateAsync(actor, new DatasetSpec
        {
            Name = name,
            Description = description,
            Purpose = purpose,
            Filters = new DatasetFilters { IncludeSensitive = allowSensitive },
        }, cancellationToken);
        if (created.Refusal is { } refusal && refusal.Problem != ExportProblems.DatasetExists)
        {
            return refusal;
        }

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
