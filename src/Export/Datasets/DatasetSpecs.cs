using System.Text.Json;
using AiSocial.Export.Parquet;
using AiSocial.Ingest.Audit;
using AiSocial.Problems;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Export.Datasets;

/// <summary>A dataset's current spec and its version (1 at create, one more for each edit).</summary>
public sealed record StoredDatasetSpec(Guid DatasetId, DatasetSpec Spec, int Version, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>One saved version of a spec: who saved it and when.</summary>
public sealed record DatasetSpecVersion(int Version, DatasetSpec Spec, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>
/// Dataset specs: validated, versioned in <c>export.dataset_specs</c> and audited (<c>dataset.create</c>,
/// <c>dataset.update</c>). The plain columns of <c>export.datasets</c> (description, purpose, sensitivity) mirror the spec.
/// </summary>
public sealed class DatasetSpecs(NpgsqlDataSource dataSource, AuditLog audit)
{
    /// <summary>The writer's column names, which <see cref="DatasetSpec.Columns"/> chooses from.</summary>
    public static IReadOnlyList<string> ColumnNames => DatasetColumns.Names;

    /// <summary>A refusal naming every invalid field by JSON path, or null when the spec is valid.</summary>
    public static Refusal? Validate(DatasetSpec spec) => spec.Validate(DatasetColumns.Names).ToRefusal();

    /// <summary>Version 1 of a new dataset; a salt is generated when the spec has none. Refused when invalid or the name is taken.</summary>
    public async Task<Outcome<StoredDatasetSpec>> CreateAsync(Actor actor, DatasetSpec spec, CancellationToken cancellationToken)
    {
        spec = spec with { Salt = spec.Salt ?? DatasetSpec.NewSalt() };
        if (Validate(spec) is { } invalid)
        {
            return invalid;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = Guid.CreateVersion7();
        await using (var command = new NpgsqlCommand(
            """
            insert into export.datasets (id, name, description, purpose, created_by, allow_sensitive, spec, spec_version, updated_by)
            values ($1, $2, $3, $4, $5, $6, $7, 1, $5)
            on conflict (name) do nothing
            """, connection))
        {
            command.Parameters.Add(new() { Value = id });
            command.Parameters.Add(new() { Value = spec.Name });
            command.Parameters.Add(new() { Value = spec.Description });
            command.Parameters.Add(new() { Value = spec.Purpose });
            command.Parameters.Add(new() { Value = actor.Name });
            command.Parameters.Add(new() { Value = spec.Filters.IncludeSensitive });
            command.Parameters.Add(new() { Value = spec.ToJson(), NpgsqlDbType = NpgsqlDbType.Jsonb });
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return new Refusal(ExportProblems.DatasetExists, $"There is already a dataset named '{spec.Name}'; edit it instead.");
            }
        }

        await SaveVersionAsync(connection, id, 1, spec, actor, cancellationToken);
        await audit.AppendAsync(connection, actor, "dataset.create", "dataset", spec.Name,
            new { version = 1, spec = AuditedSpec(spec) }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(spec.Name, cancellationToken))!;
    }

    /// <summary>
    /// The next version of a dataset's spec. The name and salt never change (a spec without a salt keeps the one it has);
    /// an edit that changes nothing saves no version.
    /// </summary>
    public async Task<Outcome<StoredDatasetSpec>> UpdateAsync(Actor actor, string name, DatasetSpec spec, CancellationToken cancellationToken)
    {
        var current = await FindAsync(name, cancellationToken);
        if (current is null)
        {
            return new Refusal(CommonProblems.NotFound, $"There is no dataset named '{name}'.");
        }

        var errors = new ValidationErrors();
        if (spec.Name != name)
        {
            errors.Add("name", $"name: a dataset's name never changes; it is '{name}'.");
        }

        if (spec.Salt is not null && spec.Salt != current.Spec.Salt)
        {
            errors.Add("salt", "salt: the salt never changes (row keys, author ids and splits depend on it); leave it out to keep it.");
        }

        spec = spec with { Salt = current.Spec.Salt };
        if (errors.ToRefusal() is { } immutable)
        {
            return immutable;
        }

        if (Validate(spec) is { } invalid)
        {
            return invalid;
        }

        if (spec.ToJson() == current.Spec.ToJson())
        {
            return current;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        int version;
        await using (var command = new NpgsqlCommand(
            """
            update export.datasets
            set spec = $2, spec_version = spec_version + 1, description = $3, purpose = $4, allow_sensitive = $5, updated_at = now(), updated_by = $6
            where id = $1
            returning spec_version
            """, connection))
        {
            command.Parameters.Add(new() { Value = current.DatasetId });
            command.Parameters.Add(new() { Value = spec.ToJson(), NpgsqlDbType = NpgsqlDbType.Jsonb });
            command.Parameters.Add(new() { Value = spec.Description });
            command.Parameters.Add(new() { Value = spec.Purpose });
            command.Parameters.Add(new() { Value = spec.Filters.IncludeSensitive });
            command.Parameters.Add(new() { Value = actor.Name });
            version = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        await SaveVersionAsync(connection, current.DatasetId, version, spec, actor, cancellationToken);
        await audit.AppendAsync(connection, actor, "dataset.update", "dataset", name,
            new { version, previous = current.Version, spec = AuditedSpec(spec) }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(name, cancellationToken))!;
    }

    public async Task<StoredDatasetSpec?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{Select} where name = $1");
        command.Parameters.Add(new() { Value = name });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<StoredDatasetSpec>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{Select} order by name");
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>Every saved version of the dataset's spec, newest first; empty for an unknown dataset.</summary>
    public async Task<IReadOnlyList<DatasetSpecVersion>> HistoryAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select s.version, s.spec::text, s.created_at, s.created_by
            from export.dataset_specs s join export.datasets d on d.id = s.dataset_id
            where d.name = $1 order by s.version desc
            """);
        command.Parameters.Add(new() { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new List<DatasetSpecVersion>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(new DatasetSpecVersion(reader.GetInt32(0), Read(reader.GetString(1)), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3)));
        }

        return versions;
    }

    private const string Select = "select id, spec::text, spec_version, updated_at, coalesce(updated_by, created_by) from export.datasets";

    private static async Task<IReadOnlyList<StoredDatasetSpec>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var specs = new List<StoredDatasetSpec>();
        while (await reader.ReadAsync(cancellationToken))
        {
            specs.Add(new StoredDatasetSpec(reader.GetGuid(0), Read(reader.GetString(1)), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetString(4)));
        }

        return specs;
    }

    private static DatasetSpec Read(string json) =>
        JsonSerializer.Deserialize<DatasetSpec>(json, DatasetSpec.Json) ?? throw new InvalidDataException("A stored dataset spec is null.");

    private static async Task SaveVersionAsync(NpgsqlConnection connection, Guid datasetId, int version, DatasetSpec spec, Actor actor,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "insert into export.dataset_specs (dataset_id, version, spec, created_by) values ($1, $2, $3, $4)", connection);
        command.Parameters.Add(new() { Value = datasetId });
        command.Parameters.Add(new() { Value = version });
        command.Parameters.Add(new() { Value = spec.ToJson(), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = actor.Name });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // The salt keys the pseudonyms; the audit log, which more people read, does not keep it.
    private static DatasetSpec AuditedSpec(DatasetSpec spec) => spec with { Salt = "(hidden)" };
}
