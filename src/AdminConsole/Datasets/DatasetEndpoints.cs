using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiSocial.Export.Runs;
using AiSocial.Export.Storage;
using AiSocial.Ingest.Accounts;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace AiSocial.AdminConsole.Datasets;

/// <summary>
/// How far a run has got: its phase and counts, as the runner last recorded them, and the nodes that have written its
/// shards so far (a scheduler's instance id, or machine:pid), in the order they first did.
/// </summary>
public sealed record RunProgressResponse(string? Phase, long RowsSeen, long RowsWritten, long RowsExcluded, long BytesWritten, long? PeakRssBytes,
    DateTimeOffset? HeartbeatAt, IReadOnlyList<string> ShardNodes);

/// <summary>A run: its status and progress, and once published, its manifest (in the run's own <c>manifest.json</c> format).</summary>
public sealed record RunResponse(Guid RunId, string Dataset, string Status, string Kind, string? Version, int? SpecVersion, string RequestedBy,
    DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset? SnapshotAt, RunProgressResponse Progress, bool CancelRequested,
    string? Error, JsonElement? Manifest);

public sealed record DatasetResponse(string Name, string Description, string Purpose, int SpecVersion, DateTimeOffset UpdatedAt, RunResponse? LatestRun);

/// <summary>A dataset's spec (null for one defined before specs existed), its versions, newest first, and its newest run.</summary>
public sealed record DatasetSpecResponse(string Name, int SpecVersion, JsonObject? Spec, IReadOnlyList<DatasetSpecSummary> Versions);

public sealed record RunStartedResponse(Guid RunId);

/// <summary>A page of a run's duplicate clusters, in api.md's list shape ({items, nextCursor}) with the run's totals.</summary>
public sealed record DuplicatesResponse(IReadOnlyList<DuplicateCluster> Items, long Clusters, long Duplicates, string? NextCursor);

public sealed record RevocationsResponse(IReadOnlyList<Revocation> Items, string? NextCursor);

/// <summary>
/// Datasets for ML engineers on the console host (<c>/api/v1/datasets</c>): specs, runs with their progress and
/// manifests, the files of a published run (range requests, the file's SHA-256 as its ETag) and the rows to delete
/// since a time. Staff bearer tokens or the console's cookie; ML engineers and admins only.
/// </summary>
public static class DatasetEndpoints
{
    public const int DefaultRevocationsPerPage = 1000;

    public static RouteGroupBuilder MapDatasetEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/datasets").WithTags("Datasets").RequireAuthorization(ConsolePolicies.Datasets);
        group.MapGet("", List);
        group.MapPost("", Create);
        group.MapGet("/{name}", Get);
        group.MapPut("/{name}", Update);
        group.MapGet("/{name}/runs", Runs);
        group.MapPost("/{name}/runs", Start);
        group.MapGet("/{name}/runs/{runId:guid}", Run);
        group.MapPost("/{name}/runs/{runId:guid}/cancel", Cancel);
        group.MapGet("/{name}/runs/{runId:guid}/files/{**path}", File);
        group.MapGet("/{name}/runs/{runId:guid}/duplicates", Duplicates);
        group.MapGet("/{name}/revocations", Revocations);
        return group;
    }

    private static async Task<Ok<IReadOnlyList<DatasetResponse>>> List(ExportRuns runs, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<DatasetResponse>>([.. (await runs.DatasetsAsync(cancellationToken))
            .Select(d => new DatasetResponse(d.Name, d.Description, d.Purpose, d.SpecVersion, d.UpdatedAt, d.LatestRun?.ToResponse()))]);

    private static async Task<Results<Ok<DatasetSpecResponse>, NotFoundProblem>> Get(string name, ConsoleDatasets specs, CancellationToken cancellationToken) =>
        await specs.FindAsync(name, cancellationToken) is { } found
            ? TypedResults.Ok(found.ToResponse())
            : new NotFoundProblem(ExportRuns.DatasetNotFound(name));

    private static async Task<Results<Created<DatasetSpecResponse>, BadRequestProblem, ConflictProblem>> Create(JsonElement spec, ClaimsPrincipal user,
        ConsoleDatasets specs, CancellationToken cancellationToken)
    {
        if (spec.ValueKind != JsonValueKind.Object)
        {
            return new BadRequestProblem(Refusal.Invalid("", "Send the dataset's spec as a JSON object."));
        }

        var created = await specs.CreateAsync(user.ToActor(), JsonObject.Create(spec)!, cancellationToken);
        return created.Refusal switch
        {
            null => TypedResults.Created($"/api/v1/datasets/{created.Value.Name}", created.Value.ToResponse()),
            { Problem.Status: StatusCodes.Status409Conflict } refusal => new ConflictProblem(refusal),
            var refusal => new BadRequestProblem(refusal),
        };
    }

    private static async Task<Results<Ok<DatasetSpecResponse>, BadRequestProblem, NotFoundProblem>> Update(string name, JsonElement spec, ClaimsPrincipal user,
        ConsoleDatasets specs, CancellationToken cancellationToken)
    {
        if (spec.ValueKind != JsonValueKind.Object)
        {
            return new BadRequestProblem(Refusal.Invalid("", "Send the dataset's spec as a JSON object."));
        }

        var updated = await specs.UpdateAsync(user.ToActor(), name, JsonObject.Create(spec)!, cancellationToken);
        return updated.Refusal switch
        {
            null => TypedResults.Ok(updated.Value.ToResponse()),
            { Problem.Status: StatusCodes.Status404NotFound } refusal => new NotFoundProblem(refusal),
            var refusal => new BadRequestProblem(refusal),
        };
    }

    private static async Task<Results<Ok<IReadOnlyList<RunResponse>>, NotFoundProblem>> Runs(string name, ExportRuns runs, CancellationToken cancellationToken,
        int limit = 50)
    {
        if (!await runs.DatasetExistsAsync(name, cancellationToken))
        {
            return new NotFoundProblem(ExportRuns.DatasetNotFound(name));
        }

        return TypedResults.Ok<IReadOnlyList<RunResponse>>([.. (await runs.RunsAsync(name, limit, cancellationToken)).Select(r => r.ToResponse())]);
    }

    private static async Task<Results<Accepted<RunStartedResponse>, NotFoundProblem, ConflictProblem>> Start(string name, ClaimsPrincipal user,
        ConsoleDatasets specs, CancellationToken cancellationToken)
    {
        var started = await specs.StartAsync(name, user.ToActor(), cancellationToken);
        return started.Refusal switch
        {
            null => TypedResults.Accepted($"/api/v1/datasets/{name}/runs/{started.Value}", new RunStartedResponse(started.Value)),
            { Problem.Status: StatusCodes.Status404NotFound } refusal => new NotFoundProblem(refusal),
            var refusal => new ConflictProblem(refusal),
        };
    }

    private static async Task<Results<Ok<RunResponse>, NotFoundProblem>> Run(string name, Guid runId, ExportRuns runs, CancellationToken cancellationToken)
    {
        if (await runs.FindRunAsync(name, runId, cancellationToken) is { } run)
        {
            return TypedResults.Ok(run.ToResponse());
        }

        return new NotFoundProblem(await runs.RunNotFoundAsync(name, runId, cancellationToken));
    }

    private static async Task<Results<Accepted<RunStartedResponse>, NotFoundProblem, ConflictProblem>> Cancel(string name, Guid runId,
        ClaimsPrincipal user, ExportRuns runs, ConsoleDatasets specs, CancellationToken cancellationToken)
    {
        if (await Run(name, runId, runs, cancellationToken) is { Result: NotFoundProblem missing })
        {
            return missing;
        }

        var cancelled = await specs.CancelAsync(runId, user.ToActor(), cancellationToken);
        return cancelled.Refusal is { } refusal
            ? new ConflictProblem(refusal)
            : TypedResults.Accepted($"/api/v1/datasets/{name}/runs/{runId}", new RunStartedResponse(runId));
    }

    /// <summary>
    /// A file of a published run, from this node's directory or the Blob container, with range requests (206, or 416 for
    /// a range past its end) and its SHA-256 as a strong ETag, so a client resumes a download with <c>Range</c> and
    /// <c>If-Range</c> and revalidates with <c>If-None-Match</c>, whichever node answers.
    /// </summary>
    private static async Task<Results<FileStreamHttpResult, NotFoundProblem, ConflictProblem>> File(string name, Guid runId, string path,
        RunFiles files, CancellationToken cancellationToken)
    {
        var opened = await files.OpenAsync(name, runId, path, cancellationToken);
        if (opened.Refusal is { } refusal)
        {
            return refusal.Problem.Status == StatusCodes.Status409Conflict ? new ConflictProblem(refusal) : new NotFoundProblem(refusal);
        }

        var file = opened.Value;
        return TypedResults.Stream(file.Content, ContentType(file.RelativePath), fileDownloadName: null, lastModified: file.PublishedAt,
            entityTag: new EntityTagHeaderValue($"\"{file.Sha256}\""), enableRangeProcessing: true);
    }

    /// <summary>The near and exact duplicate clusters a run collapsed to one row each, a page at a time.</summary>
    private static async Task<Results<Ok<DuplicatesResponse>, BadRequestProblem, NotFoundProblem>> Duplicates(string name, Guid runId, ExportRuns runs,
        CancellationToken cancellationToken, string? cursor = null, int limit = 100)
    {
        if (limit is < 1 or > ExportRuns.MaxDuplicateClustersPerPage)
        {
            return new BadRequestProblem(Refusal.Invalid("limit", $"limit is from 1 to {ExportRuns.MaxDuplicateClustersPerPage}."));
        }

        var page = await runs.DuplicatesAsync(name, runId, cursor, limit, cancellationToken);
        return page.Refusal switch
        {
            null => TypedResults.Ok(new DuplicatesResponse(page.Value.Items, page.Value.Clusters, page.Value.Duplicates, page.Value.Next)),
            { Problem.Status: StatusCodes.Status404NotFound } refusal => new NotFoundProblem(refusal),
            var refusal => new BadRequestProblem(refusal),
        };
    }

    /// <summary>
    /// Rows the dataset revoked after <paramref name="since"/>, oldest first, a page at a time: an RFC 3339 time, or the id
    /// of a run it published (what was revoked after that run: what a copy of it must still delete); all when absent.
    /// </summary>
    private static async Task<Results<Ok<RevocationsResponse>, BadRequestProblem, NotFoundProblem>> Revocations(string name, ExportRuns runs,
        CancellationToken cancellationToken, string? since = null, string? cursor = null, int limit = DefaultRevocationsPerPage)
    {
        var from = DateTimeOffset.MinValue;
        if (since is not null && Guid.TryParse(since, out var runId))
        {
            var snapshot = await runs.PublishedSnapshotAsync(name, runId, cancellationToken);
            if (snapshot.Refusal is { } refused)
            {
                return refused.Problem.Status == StatusCodes.Status404NotFound ? new NotFoundProblem(refused) : new BadRequestProblem(refused);
            }

            from = snapshot.Value;
        }
        else if (since is not null && !DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out from))
        {
            return new BadRequestProblem(Refusal.Invalid("since", "since is an RFC 3339 time, such as 2026-12-01T00:00:00Z, or the id of a run the dataset published."));
        }

        if (limit is < 1 or > ExportRuns.MaxRevocationsPerPage)
        {
            return new BadRequestProblem(Refusal.Invalid("limit", $"limit is from 1 to {ExportRuns.MaxRevocationsPerPage}."));
        }

        var page = await runs.RevocationsAsync(name, from, cursor, limit, cancellationToken);
        return page.Refusal switch
        {
            null => TypedResults.Ok(new RevocationsResponse(page.Value.Items, page.Value.Next)),
            { Problem.Status: StatusCodes.Status404NotFound } refusal => new NotFoundProblem(refusal),
            var refusal => new BadRequestProblem(refusal),
        };
    }

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".parquet" => "application/vnd.apache.parquet",
        ".json" => "application/json",
        ".md" => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    };

    internal static RunResponse ToResponse(this ExportRunDetail run) =>
        new(run.RunId, run.Dataset, run.Status.ToString().ToLowerInvariant(), run.Kind, run.Version, run.SpecVersion, run.RequestedBy, run.StartedAt,
            run.FinishedAt, run.SnapshotAt,
            new RunProgressResponse(run.Phase, run.RowsSeen, run.RowsWritten, run.RowsExcluded, run.BytesWritten, run.PeakRssBytes, run.HeartbeatAt,
                run.ShardNodes),
            run.CancelRequested, run.Error, run.ManifestJson is null ? null : JsonDocument.Parse(run.ManifestJson).RootElement.Clone());

    private static DatasetSpecResponse ToResponse(this DatasetSpecHistory history) => new(history.Name, history.SpecVersion, history.Spec, history.Versions);
}
