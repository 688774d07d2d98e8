using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Json.Serialization;
using AiSocial.Ingest;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Timelines;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

/// <summary>The author's other posts collapsed into this item: near-identical images (PDQ distance ≤ 31) posted within a day.</summary>
public sealed record VariationsResponse(int Count, IReadOnlyList<Guid> PostIds);

/// <summary>
/// A post in a timeline, with why it is shown (<c>own</c>, <c>followed</c>, <c>remixOfYours</c>, <c>public</c>,
/// <c>trending</c>, <c>tag</c>, <c>profile</c>) and the variations collapsed into it (absent when none).
/// </summary>
public sealed record TimelineItemResponse : PostResponse
{
    public TimelineItemResponse(PostResponse post, TimelineReason reason, VariationsResponse? variations)
        : base(post)
    {
        Reason = reason;
        Variations = variations;
    }

    public TimelineReason Reason { get; }

    public VariationsResponse? Variations { get; }
}

/// <summary>A page of a timeline; <c>nextCursor</c> is null (present) on the last page.</summary>
public sealed record TimelineResponse(IReadOnlyList<TimelineItemResponse> Items, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

/// <summary>Home, public, trending, tag and profile timelines, paged with an opaque cursor per timeline.</summary>
public static class TimelinesApi
{
    public const int DefaultLimit = 20;
    private const string LimitRule = "limit must be between 1 and 100.";

    public static RouteGroupBuilder MapTimelinesApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("").WithTags("Timelines");
        group.MapGet("/timelines/home", GetHome).RequireAuthorization();
        group.MapGet("/timelines/public", GetPublic);
        group.MapGet("/timelines/trending", GetTrending);
        group.MapGet("/timelines/tags/{tag}", GetTag);
        group.MapGet("/accounts/{handle}/posts", GetProfile);
        return group;
    }

    private static async Task<Results<Ok<TimelineResponse>, BadRequestProblem>> GetHome(TimelineReader timelines, ClaimsPrincipal user,
        [Range(1, TimelineReader.MaxPageSize, ErrorMessage = LimitRule)] int? limit, string? cursor, CancellationToken cancellationToken) =>
        ToResult(await timelines.HomeAsync(user.AccountId(), cursor, limit ?? DefaultLimit, cancellationToken));

    private static async Task<Results<Ok<TimelineResponse>, BadRequestProblem>> GetPublic(TimelineReader timelines, ClaimsPrincipal user,
        [Range(1, TimelineReader.MaxPageSize, ErrorMessage = LimitRule)] int? limit, string? cursor, CancellationToken cancellationToken) =>
        ToResult(await timelines.PublicAsync(Viewer(user), cursor, limit ?? DefaultLimit, cancellationToken));

    private static async Task<Results<Ok<TimelineResponse>, BadRequestProblem, ConflictProblem>> GetTrending(TimelineReader timelines,
        ClaimsPrincipal user, [Range(1, TimelineReader.MaxPageSize, ErrorMessage = LimitRule)] int? limit, string? cursor,
        CancellationToken cancellationToken)
    {
        var page = await timelines.TrendingAsync(Viewer(user), cursor, limit ?? DefaultLimit, cancellationToken);
        if (page.Refusal is { } refusal)
        {
            return refusal.Problem == IngestProblems.CursorExpired ? new ConflictProblem(refusal) : new BadRequestProblem(refusal);
        }

        return TypedResults.Ok(ToResponse(page.Value));
    }

    private static async Task<Results<Ok<TimelineResponse>, BadRequestProblem>> GetTag(string tag, TimelineReader timelines, ClaimsPrincipal user,
        [Range(1, TimelineReader.MaxPageSize, ErrorMessage = LimitRule)] int? limit, string? cursor, CancellationToken cancellationToken) =>
        ToResult(await timelines.TagAsync(Viewer(user), tag, cursor, limit ?? DefaultLimit, cancellationToken));

    private static async Task<Results<Ok<TimelineResponse>, BadRequestProblem, NotFoundProblem>> GetProfile(string handle, TimelineReader timelines,
        ClaimsPrincipal user, [Range(1, TimelineReader.MaxPageSize, ErrorMessage = LimitRule)] int? limit, string? cursor,
        CancellationToken cancellationToken)
    {
        var page = await timelines.ProfileAsync(Viewer(user), handle, cursor, limit ?? DefaultLimit, cancellationToken);
        if (page.Refusal is { } refusal)
        {
            return refusal.Problem == CommonProblems.NotFound ? new NotFoundProblem(refusal) : new BadRequestProblem(refusal);
        }

        return TypedResults.Ok(ToResponse(page.Value));
    }

    private static Guid? Viewer(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.AccountId() : null;

    private static Results<Ok<TimelineResponse>, BadRequestProblem> ToResult(Outcome<TimelinePage> page) =>
        page.Refusal is { } refusal ? new BadRequestProblem(refusal) : TypedResults.Ok(ToResponse(page.Value));

    private static TimelineResponse ToResponse(TimelinePage page) => new(
        page.Items.Select(item => new TimelineItemResponse(item.Post.ToResponse(item.ShowPrompt), item.Reason,
            item.Variations.Count == 0 ? null : new VariationsResponse(item.Variations.Count, item.Variations))).ToList(),
        page.NextCursor);
}
