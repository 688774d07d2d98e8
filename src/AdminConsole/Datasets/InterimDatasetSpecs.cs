using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AiSocial.Export;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Problems;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.AdminConsole.Datasets;

/// <summary>A saved version of a dataset's spec.</summary>
public sealed record DatasetSpecVersion(int Version, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>A dataset's current spec (null for a dataset defined before specs existed) and every version it had.</summary>
public sealed record DatasetSpecHistory(string Name, int SpecVersion, JsonObject? Spec, IReadOnlyList<DatasetSpecVersion> Versions);

/// <summary>
/// STAND-IN for the RUNS part's <c>DatasetSpecs</c> and <c>ExportRunner</c> (issue 12 contract), which were not on this
/// branch when the access part was written: the whole of that stand-in is this one file, replaced at the merge. It
/// stores specs in the contract's JSON shape (validated, versioned in <c>export.dataset_specs</c>, audited) and starts
/// a run with the existing <see cref="DatasetExporter"/>, awaiting it before answering.
/// </summary>
public sealed partial class InterimDatasetSpecs(NpgsqlDataSource dataSource, AuditLog audit, DatasetExporter exporter, IConfiguration configuration)
{
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex NamePattern();

    public async Task<DatasetSpecHistory?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("select id, spec_version, spec::text from export.datasets where name = $1", connection);
        command.Parameters.Add(new() { Value = name });
        Guid id;
        int version;
        JsonObject? spec;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            (id, version, spec) = (reader.GetGuid(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : JsonNode.Parse(reader.GetString(2))!.AsObject());
        }

        await using var history = new NpgsqlCommand(
            "select version, created_at, created_by from export.dataset_specs where dataset_id = $1 order by version desc", connection);
        history.Parameters.Add(new() { Value = id });
        await using var versions = await history.ExecuteReaderAsync(cancellationToken);
        var list = new List<DatasetSpecVersion>();
        while (await versions.ReadAsync(cancellationToken))
        {
            list.Add(new DatasetSpecVersion(versions.GetInt32(0), versions.GetFieldValue<DateTimeOffset>(1), versions.GetString(2)));
        }

        return new DatasetSpecHistory(name, version, spec, list);
    }

    public async Task<Outcome<DatasetSpecHistory>> CreateAsync(Actor actor, JsonObject spec, CancellationToken cancellationToken)
    {
        spec = (JsonObject)spec.DeepClone();
        spec["salt"] ??= Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        if (Validate(spec) is { } invalid)
        {
            return invalid;
        }

        var name = spec["name"]!.GetValue<string>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = Guid.CreateVersion7();
        await using (var insert = new NpgsqlCommand(
            """
            insert into export.datasets (id, name, description, purpose, created_by, allow_sensitive, spec, spec_version, updated_by)
            values ($1, $2, $3, $4, $5, $6, $7, 1, $5) on conflict (name) do nothing
            """, connection))
        {
            insert.Parameters.Add(new() { Value = id });
            insert.Parameters.Add(new() { Value = name });
            insert.Parameters.Add(new() { Value = spec["description"]?.GetValue<string>() ?? "" });
            insert.Parameters.Add(new() { Value = spec["purpose"]!.GetValue<string>() });
            insert.Parameters.Add(new() { Value = actor.Name });
            insert.Parameters.Add(new() { Value = spec["filters"]?["includeSensitive"]?.GetValue<bool>() ?? false });
            insert.Parameters.Add(new() { Value = spec.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb });
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return new Refusal(CommonProblems.Conflict, $"A dataset named '{name}' exists; edit it with PUT /api/v1/datasets/{name}.");
            }
        }

        await SaveVersionAsync(connection, id, 1, spec, actor, cancellationToken);
        await audit.AppendAsync(connection, actor, "dataset.create", "dataset", name, new { specVersion = 1 }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(name, cancellationToken))!;
    }

    public async Task<Outcome<DatasetSpecHistory>> UpdateAsync(Actor actor, string name, JsonObject spec, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        Guid id;
        int version;
        JsonObject? current;
        await using (var select = new NpgsqlCommand("select id, spec_version, spec::text from export.datasets where name = $1 for update", connection))
        {
            select.Parameters.Add(new() { Value = name });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new Refusal(ExportProblems.DatasetNotFound, $"There is no dataset named '{name}'.");
            }

            (id, version, current) = (reader.GetGuid(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : JsonNode.Parse(reader.GetString(2))!.AsObject());
        }

        spec = (JsonObject)spec.DeepClone();
        spec["name"] ??= name;
        spec["salt"] ??= current?["salt"]?.DeepClone() ?? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var errors = Validate(spec)?.Errors?.ToDictionary() ?? [];
        if (spec["name"]?.GetValue<string>() != name)
        {
            errors["name"] = ["A dataset's name cannot change; create a new dataset instead."];
        }

        if (current?["salt"] is { } salt && spec["salt"]?.ToJsonString() != salt.ToJsonString())
        {
            errors["salt"] = ["The salt cannot change: row keys and splits depend on it."];
        }

        if (errors.Count > 0)
        {
            return new Refusal(CommonProblems.ValidationFailed, string.Join(" ", errors.SelectMany(e => e.Value))) { Errors = errors };
        }

        await using (var update = new NpgsqlCommand(
            """
            update export.datasets set description = $2, purpose = $3, allow_sensitive = $4, spec = $5, spec_version = $6,
                updated_at = now(), updated_by = $7
            where id = $1
            """, connection))
        {
            update.Parameters.Add(new() { Value = id });
            update.Parameters.Add(new() { Value = spec["description"]?.GetValue<string>() ?? "" });
            update.Parameters.Add(new() { Value = spec["purpose"]!.GetValue<string>() });
            update.Parameters.Add(new() { Value = spec["filters"]?["includeSensitive"]?.GetValue<bool>() ?? false });
            update.Parameters.Add(new() { Value = spec.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb });
            update.Parameters.Add(new() { Value = version + 1 });
            update.Parameters.Add(new() { Value = actor.Name });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await SaveVersionAsync(connection, id, version + 1, spec, actor, cancellationToken);
        await audit.AppendAsync(connection, actor, "dataset.update", "dataset", name, new { specVersion = version + 1 }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await FindAsync(name, cancellationToken))!;
    }

    /// <summary>Runs the dataset now with the existing exporter into <c>{Export:Root}/{name}/</c>; answers once it is published.</summary>
    public async Task<Outcome<Guid>> StartAsync(string name, Actor actor, CancellationToken cancellationToken)
    {
        var root = configuration["Export:Root"] is { Length: > 0 } configured ? configured : Path.Combine(Path.GetTempPath(), "aisocial-exports");
        var exported = await exporter.RunAsync(name, Path.Combine(root, name, Guid.NewGuid().ToString("N")), actor, null, cancellationToken);
        return exported.Refusal switch
        {
            null => exported.Value.RunId,
            { Problem.Status: 404 } => new Refusal(ExportProblems.DatasetNotFound, $"There is no dataset named '{name}'."),
            var refusal => refusal,
        };
    }

    /// <summary>Asks a running run to stop (the runner checks <c>cancel_requested</c>); a finished run is left as it is.</summary>
    public async Task<Outcome<Guid>> CancelAsync(string name, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            update export.runs r set cancel_requested = true from export.datasets d
            where d.id = r.dataset_id and d.name = $1 and r.id = $2 and r.status = 'running'
            returning r.id
            """);
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = runId });
        if (await command.ExecuteScalarAsync(cancellationToken) is Guid cancelled)
        {
            return cancelled;
        }

        return new Refusal(ExportProblems.RunNotRunning, $"Run {runId} is not running.");
    }

    private static async Task SaveVersionAsync(NpgsqlConnection connection, Guid datasetId, int version, JsonObject spec, Actor actor,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "insert into export.dataset_specs (dataset_id, version, spec, created_by) values ($1, $2, $3, $4)", connection);
        command.Parameters.Add(new() { Value = datasetId });
        command.Parameters.Add(new() { Value = version });
        command.Parameters.Add(new() { Value = spec.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = actor.Name });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The contract's rules for a spec, each error keyed by its JSON path.</summary>
    internal static Refusal? Validate(JsonObject spec)
    {
        var errors = new ValidationErrors();
        string? Text(string key) => spec[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        double? Number(JsonNode? node) => node is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;

        if (Text("name") is not { } name || !NamePattern().IsMatch(name))
        {
            errors.Add("name", "Dataset names are 1–63 lowercase letters, digits, '-' or '_', starting with a letter or digit.");
        }

        if (Text("purpose") is not { } purpose || !ConsentPurposes.All.Contains(purpose))
        {
            errors.Add("purpose", $"Purpose must be one of {string.Join(", ", ConsentPurposes.All)}.");
        }

        if (Text("license") is not { Length: > 0 })
        {
            errors.Add("license", "Name the licence by its SPDX id, such as CC-BY-4.0.");
        }

        if (Text("salt") is not { Length: >= 16 })
        {
            errors.Add("salt", "The salt has at least 16 characters (leave it out to have one generated).");
        }

        if (spec["splits"] is not JsonObject splits)
        {
            errors.Add("splits", "Give the splits' shares, such as { \"train\": 0.8, \"validation\": 0.1, \"test\": 0.1 }.");
        }
        else
        {
            var shares = splits.Select(s => (s.Key, Share: Number(s.Value))).ToList();
            foreach (var (key, share) in shares.Where(s => s.Key is not ("train" or "validation" or "test") || s.Share is not (>= 0 and <= 1)))
            {
                errors.Add($"splits.{key}", "Each split is train, validation or test, with a share from 0 to 1.");
            }

            if (Math.Abs(shares.Sum(s => s.Share ?? 0) - 1) > 1e-9 || Number(splits["train"]) is not > 0)
            {
                errors.Add("splits", "The shares add up to 1, and train's is above 0.");
            }
        }

        if (spec["shardSizeMb"] is not null && Number(spec["shardSizeMb"]) is not (>= 1 and <= 500))
        {
            errors.Add("shardSizeMb", "Shards are 1 to 500 MB.");
        }

        if (spec["rowGroupMb"] is not null && Number(spec["rowGroupMb"]) is not (>= 1 and <= 100))
        {
            errors.Add("rowGroupMb", "Row groups are 1 to 100 MB.");
        }

        if (spec["filters"] is JsonObject filters)
        {
            DateTimeOffset? Date(string key) => filters[key] is JsonValue v && v.TryGetValue<string>(out var s) && DateTimeOffset.TryParse(s,
                System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var at) ? at : null;
            foreach (var key in new[] { "from", "to" }.Where(k => filters[k] is not null && Date(k) is null))
            {
                errors.Add($"filters.{key}", "Dates are RFC 3339, such as 2026-01-01T00:00:00Z.");
            }

            if (Date("from") is { } from && Date("to") is { } to && from > to)
            {
                errors.Add("filters.from", "The range starts before it ends.");
            }

            if (filters["minLabelConfidence"] is not null && Number(filters["minLabelConfidence"]) is not (>= 0 and <= 1))
            {
                errors.Add("filters.minLabelConfidence", "Confidence is from 0 to 1.");
            }
        }
        else if (spec["filters"] is not null)
        {
            errors.Add("filters", "Filters are an object: tags, from, to, includeSensitive, minLabelConfidence.");
        }

        return errors.ToRefusal();
    }
}

internal static class InterimDatasetServices
{
    /// <summary>The stand-in's registration; the merge replaces it with the RUNS part's services.</summary>
    public static IServiceCollection AddInterimDatasetSpecs(this IServiceCollection services)
    {
        services.AddSingleton<InterimDatasetSpecs>();
        return services;
    }
}
