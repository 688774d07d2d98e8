using System.Text.Json.Nodes;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Audit;
using AiSocial.Problems;

namespace AiSocial.AdminConsole.Datasets;

/// <summary>A saved version of a dataset's spec.</summary>
public sealed record DatasetSpecSummary(int Version, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>A dataset's current spec (null for a dataset defined before specs existed) and every version it had.</summary>
public sealed record DatasetSpecHistory(string Name, int SpecVersion, JsonObject? Spec, IReadOnlyList<DatasetSpecSummary> Versions);

/// <summary>
/// What the datasets API and page do with specs and runs, in their terms (a spec as JSON as the person wrote it; refusals
/// naming the dataset): <see cref="DatasetSpecs"/> validates, versions and audits, <see cref="ExportRunner"/> runs.
/// </summary>
public sealed class ConsoleDatasets(DatasetSpecs specs, ExportRunner runner)
{
    public async Task<DatasetSpecHistory?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (await specs.FindAsync(name, cancellationToken) is not { } stored)
        {
            return null;
        }

        var versions = await specs.HistoryAsync(name, cancellationToken);
        // An edit without a salt keeps the dataset's.
        var json = JsonNode.Parse(stored.Spec.WithoutSalt().ToJson())!.AsObject();
        json.Remove("salt");
        return new DatasetSpecHistory(name, stored.Version, json,
            [.. versions.Select(v => new DatasetSpecSummary(v.Version, v.CreatedAt, v.CreatedBy))]);
    }

    public async Task<Outcome<DatasetSpecHistory>> CreateAsync(Actor actor, JsonObject spec, CancellationToken cancellationToken)
    {
        var parsed = DatasetSpec.Parse(spec.ToJsonString());
        if (parsed.Refusal is { } unreadable)
        {
            return unreadable;
        }

        var created = await specs.CreateAsync(actor, parsed.Value, cancellationToken);
        return created.Refusal is { } refusal ? refusal : (await FindAsync(created.Value.Spec.Name, cancellationToken))!;
    }

    /// <summary>Saves <paramref name="spec"/> as the next version of <paramref name="name"/>; a spec without a name or salt keeps the dataset's.</summary>
    public async Task<Outcome<DatasetSpecHistory>> UpdateAsync(Actor actor, string name, JsonObject spec, CancellationToken cancellationToken)
    {
        if (await specs.FindAsync(name, cancellationToken) is not { } current)
        {
            return ExportRuns.DatasetNotFound(name);
        }

        spec = (JsonObject)spec.DeepClone();
        spec["name"] ??= name;
        spec["salt"] ??= current.Spec.Salt;
        var parsed = DatasetSpec.Parse(spec.ToJsonString());
        if (parsed.Refusal is { } unreadable)
        {
            return unreadable;
        }

        var updated = await specs.UpdateAsync(actor, name, parsed.Value, cancellationToken);
        return updated.Refusal is { } refusal ? refusal : (await FindAsync(name, cancellationToken))!;
    }

    /// <summary>Starts a full run in the background of this host; its progress shows in <c>export.runs</c>.</summary>
    public async Task<Outcome<Guid>> StartAsync(string name, Actor actor, CancellationToken cancellationToken)
    {
        var started = await runner.StartAsync(name, actor, ExportRunKind.Full, cancellationToken);
        return started.Refusal is { Problem.Status: 404 } ? ExportRuns.DatasetNotFound(name) : started;
    }

    /// <summary>Asks a running run to stop, wherever it runs; a finished run is left as it is.</summary>
    public async Task<Outcome<Guid>> CancelAsync(Guid runId, Actor actor, CancellationToken cancellationToken) =>
        await runner.CancelAsync(runId, actor, cancellationToken);
}
