using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Json.Serialization;
using AiSocial.Ingest;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Posts;
using AiSocial.Ingest.Social;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

/// <summary>A report of a post, comment or account (by id; an account also by handle), with one of the reason codes.</summary>
public sealed record ReportRequest(
    [Required(ErrorMessage = UserReports.SubjectTypeRule), AllowedValues("post", "comment", "account", ErrorMessage = UserReports.SubjectTypeRule)]
    string? SubjectType,
    [Required(ErrorMessage = UserReports.SubjectIdRule), StringLength(100, ErrorMessage = UserReports.SubjectIdRule)]
    string? SubjectId,
    [Required(ErrorMessage = UserReports.ReasonRule),
     AllowedValues("spam", "sexual", "minor-safety", "violence", "hate", "harassment", "self-harm", "creator-rights", "impersonation-deepfake", "other",
         ErrorMessage = UserReports.ReasonRule)]
    string? Reason,
    [StringLength(UserReports.MaxTextLength, ErrorMessage = UserReports.TextRule)]
    [MultiLineText]
    string? Text);

/// <summary>A report as its reporter sees it: <c>status</c> is open, actioned or dismissed; <c>outcome</c> says what was done.</summary>
public sealed record ReportResponse(Guid Id, string SubjectType, Guid SubjectId, string Reason, string? Text, string Status, string? Outcome,
    DateTimeOffset CreatedAt, DateTimeOffset? ResolvedAt);

public sealed record ReportPageResponse(IReadOnlyList<ReportResponse> Items, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

/// <summary>Reporting posts, comments and accounts to trust and safety, and following one's reports.</summary>
public static class ReportsApi
{
    public const int DefaultLimit = 20;
    private const string LimitRule = "limit must be between 1 and 100.";

    public static RouteGroupBuilder MapReportsApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("").WithTags("Reports").RequireAuthorization();
        group.MapPost("/reports", FileReport);
        group.MapGet("/me/reports", GetMine);
        return group;
    }

    private static async Task<Results<Created<ReportResponse>, BadRequestProblem, NotFoundProblem, ConflictProblem>> FileReport(ReportRequest request,
        ClaimsPrincipal user, UserReports reports, CancellationToken cancellationToken)
    {
        var filed = await reports.FileAsync(user.AccountId(), new ReportDraft(request.SubjectType, request.SubjectId, request.Reason, request.Text),
            cancellationToken);
        if (filed.Refusal is { } refusal)
        {
            return refusal.Problem.Status == StatusCodes.Status404NotFound ? new NotFoundProblem(refusal) : new BadRequestProblem(refusal);
        }

        var (report, created) = filed.Value;
        if (!created)
        {
            var conflict = new ConflictProblem(IngestProblems.ReportOpen,
                $"You reported this {report.SubjectType} already (report {report.Id}, still open); follow it at GET /api/v1/me/reports.");
            conflict.Value.Extensions["reportId"] = report.Id;
            return conflict;
        }

        return TypedResults.Created($"/api/v1/me/reports/{report.Id}", ToResponse(report));
    }

    private static async Task<Results<Ok<ReportPageResponse>, BadRequestProblem>> GetMine(ClaimsPrincipal user, UserReports reports,
        [Range(1, PostStore.MaxPageSize, ErrorMessage = LimitRule)] int? limit, string? cursor, CancellationToken cancellationToken)
    {
        var page = await reports.MineAsync(user.AccountId(), cursor, limit ?? DefaultLimit, cancellationToken);
        return page.Refusal is { } refusal
            ? new BadRequestProblem(refusal)
            : TypedResults.Ok(new ReportPageResponse(page.Value.Items.Select(ToResponse).ToList(), page.Value.NextCursor));
    }

    private static ReportResponse ToResponse(Report r) =>
        new(r.Id, r.SubjectType, r.SubjectId, r.Reason, r.Text, r.Status, r.Outcome, r.CreatedAt, r.ResolvedAt);
}
