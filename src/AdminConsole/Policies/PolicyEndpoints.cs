using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiSocial.Ingest.Accounts;
using AiSocial.Moderation.Policy;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.AdminConsole.Policies;

/// <summary>A version as the list shows it: everything but its document.</summary>
public sealed record PolicySummaryResponse(int Version, string Label, string State, bool Shadow, string Description, int? BasedOn, int Rules,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? ActivatedBy, DateTimeOffset? ActivatedAt, DateTimeOffset? ShadowStartedAt);

/// <summary>A version with its document (the JSON format of the README's "Moderation policy").</summary>
public sealed record PolicyVersionResponse(int Version, string Label, string State, bool Shadow, string Description, int? BasedOn,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? ActivatedBy, DateTimeOffset? ActivatedAt, DateTimeOffset? ShadowStartedAt,
    JsonObject Document);

/// <summary>A new draft: a copy of <see cref="BasedOn"/> (the active version when absent).</summary>
public sealed record NewPolicyDraftRequest(int? BasedOn, [property: StringLength(PolicyStore.MaxDescriptionLength)] string? Description);

/// <summary>A draft's new document and description.</summary>
public sealed record PolicyDraftRequest(JsonElement? Document, [property: StringLength(PolicyStore.MaxDescriptionLength)] string? Description);

/// <summary>
/// The policy versions on the console host (<c>/api/v1/moderation/policies</c>): moderators and admins read, diff,
/// backtest and read shadow reports; admins create and edit drafts, run them in shadow and activate them. Every
/// change is audited by <see cref="PolicyStore"/> in the transaction that makes it.
/// </summary>
public static class PolicyEndpoints
{
    public const int DefaultBacktestPosts = 1000;

    public static RouteGroupBuilder MapPolicyEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/moderation/policies").WithTags("Policies").RequireAuthorization(ConsolePolicies.Review);
        group.MapGet("", List);
        group.MapGet("/{version:int}", Get);
        group.MapGet("/{version:int}/diff", Diff);
        group.MapPost("/{version:int}/backtest", Backtest);
        group.MapGet("/{version:int}/shadow", ShadowReport);
        group.MapPost("", CreateDraft).RequireAuthorization(ConsolePolicies.Admin);
        group.MapPut("/{version:int}", SaveDraft).RequireAuthorization(ConsolePolicies.Admin);
        group.MapPost("/{version:int}/shadow", StartShadow).RequireAuthorization(ConsolePolicies.Admin);
        group.MapDelete("/{version:int}/shadow", StopShadow).RequireAuthorization(ConsolePolicies.Admin);
        group.MapPost("/{version:int}/activate", Activate).RequireAuthorization(ConsolePolicies.Admin);
        return group;
    }

    private static async Task<Ok<IReadOnlyList<PolicySummaryResponse>>> List(PolicyStore policies, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<PolicySummaryResponse>>([.. (await policies.ListAsync(cancellationToken)).Select(ToSummary)]);

    private static async Task<Results<Ok<PolicyVersionResponse>, NotFoundProblem>> Get(int version, PolicyStore policies, CancellationToken cancellationToken) =>
        await policies.GetAsync(version, cancellationToken) is { } found
            ? TypedResults.Ok(ToResponse(found))
            : new NotFoundProblem(CommonProblems.NotFound, $"There is no policy version {version}.");

    /// <summary>What <paramref name="version"/> changes from <paramref name="against"/> (the active version when absent).</summary>
    private static async Task<Results<Ok<PolicyDiff>, NotFoundProblem>> Diff(int version, int? against, PolicyStore policies,
        CancellationToken cancellationToken)
    {
        var other = against ?? (await policies.LiveAsync(cancellationToken)).Active.Version;
        var diff = await policies.DiffAsync(version, other, cancellationToken);
        return diff.Refusal is { } refusal ? new NotFoundProblem(refusal) : TypedResults.Ok(diff.Value);
    }

    private static async Task<Results<Ok<PolicyBacktest>, BadRequestProblem, NotFoundProblem>> Backtest(int version, PolicyStore policies,
        int? last, CancellationToken cancellationToken)
    {
        var backtest = await policies.BacktestAsync(version, last ?? DefaultBacktestPosts, cancellationToken);
        return backtest.Refusal switch
        {
            null => TypedResults.Ok(backtest.Value),
            { Problem.Status: StatusCodes.Status404NotFound } refusal => new NotFoundProblem(refusal),
            var refusal => new BadRequestProblem(refusal),
        };
    }

    private static async Task<Results<Ok<ShadowReport>, NotFoundProblem>> ShadowReport(int version, PolicyStore policies, CancellationToken cancellationToken)
    {
        var report = await policies.ShadowReportAsync(version, cancellationToken);
        return report.Refusal is { } refusal ? new NotFoundProblem(refusal) : TypedResults.Ok(report.Value);
    }

    private static async Task<Results<Created<PolicyVersionResponse>, BadRequestProblem, NotFoundProblem>> CreateDraft(NewPolicyDraftRequest? request,
        ClaimsPrincipal user, PolicyStore policies, CancellationToken cancellationToken)
    {
        var created = await policies.CreateDraftAsync(user.ToActor(), request?.BasedOn, request?.Description ?? "", cancellationToken);
        return created.Refusal switch
        {
            null => TypedResults.Created($"/api/v1/moderation/policies/{created.Value.Version}", ToResponse(created.Value)),
            { Problem.Status: StatusCodes.Status404NotFound } refusal => new NotFoundProblem(refusal),
            var refusal => new BadRequestProblem(refusal),
        };
    }

    private static async Task<Results<Ok<PolicyVersionResponse>, BadRequestProblem, NotFoundProblem, ConflictProblem>> SaveDraft(int version,
        PolicyDraftRequest request, ClaimsPrincipal user, PolicyStore policies, CancellationToken cancellationToken)
    {
        if (request.Document is not { ValueKind: JsonValueKind.Object } document)
        {
            return new BadRequestProblem(Refusal.Invalid("document", "document is required: the policy as a JSON object (thresholds, rules, default)."));
        }

        var saved = await policies.SaveDraftAsync(user.ToActor(), version, document.GetRawText(), request.Description ?? "", cancellationToken);
        return saved.Refusal is { } refusal ? Refused(refusal) : TypedResults.Ok(ToResponse(saved.Value));
    }

    private static async Task<Results<Ok<PolicyVersionResponse>, BadRequestProblem, NotFoundProblem, ConflictProblem>> StartShadow(int version,
        ClaimsPrincipal user, PolicyStore policies, CancellationToken cancellationToken) =>
        Answer(await policies.StartShadowAsync(user.ToActor(), version, cancellationToken));

    private static async Task<Results<Ok<PolicyVersionResponse>, BadRequestProblem, NotFoundProblem, ConflictProblem>> StopShadow(int version,
        ClaimsPrincipal user, PolicyStore policies, CancellationToken cancellationToken) =>
        Answer(await policies.StopShadowAsync(user.ToActor(), version, cancellationToken));

    private static async Task<Results<Ok<PolicyVersionResponse>, BadRequestProblem, NotFoundProblem, ConflictProblem>> Activate(int version,
        ClaimsPrincipal user, PolicyStore policies, CancellationToken cancellationToken) =>
        Answer(await policies.ActivateAsync(user.ToActor(), version, cancellationToken));

    private static Results<Ok<PolicyVersionResponse>, BadRequestProblem, NotFoundProblem, ConflictProblem> Answer(Outcome<PolicyVersion> outcome) =>
        outcome.Refusal is { } refusal ? Refused(refusal) : TypedResults.Ok(ToResponse(outcome.Value));

    private static Results<Ok<PolicyVersionResponse>, BadRequestProblem, NotFoundProblem, ConflictProblem> Refused(Refusal refusal) =>
        refusal.Problem.Status switch
        {
            StatusCodes.Status404NotFound => new NotFoundProblem(refusal),
            StatusCodes.Status409Conflict => new ConflictProblem(refusal),
            _ => new BadRequestProblem(refusal),
        };

    private static PolicySummaryResponse ToSummary(PolicyVersion v) =>
        new(v.Version, v.Label, v.State.ToString().ToLowerInvariant(), v.Shadow, v.Description, v.BasedOn, v.Document.Rules.Count, v.CreatedBy,
            v.CreatedAt, v.UpdatedAt, v.ActivatedBy, v.ActivatedAt, v.ShadowStartedAt);

    private static PolicyVersionResponse ToResponse(PolicyVersion v) =>
        new(v.Version, v.Label, v.State.ToString().ToLowerInvariant(), v.Shadow, v.Description, v.BasedOn, v.CreatedBy, v.CreatedAt, v.UpdatedAt,
            v.ActivatedBy, v.ActivatedAt, v.ShadowStartedAt, v.Document.ToNode());
}
