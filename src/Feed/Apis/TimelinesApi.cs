using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using AiSocial.Ingest.Posts;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

/// <summary>A page of a timeline; <c>nextCursor</c> is null (present) on the last page.</summary>
public sealed record TimelineResponse(IReadOnlyList<PostResponse> Items, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

/// <summary>Timelines, newest first, paged with an opaque cursor.</summary>
public static class TimelinesApi
{
    public const int DefaultLimit = 20;
    private const string LimitRule = "limit must be between 1 and 100.";

    public static RouteGroupBuilder MapTimelinesApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/timelines").WithTags("Timelines");
        group.MapGet("/public", GetPublic);
        return group;
    }

    private static async Task<Results<Ok<TimelineResponse>, BadRequestProblem>> GetPublic(PostStore posts,
        [Range(1, PostStore.MaxPageSize, ErrorMessage = LimitRule)] int? limit, string? cursor, CancellationToken cancellationToken)
    {
        var after = TimelineCursor.Decode(cursor);
        if (after.Refusal is { } refusal)
        {
            return new BadRequestProblem(refusal);
        }

        var page = await posts.PublicTimelineAsync(after.Value, limit ?? DefaultLimit, cancellationToken);
        return TypedResults.Ok(new TimelineResponse(page.Items.Select(p => p.ToResponse()).ToList(), page.NextCursor));
    }
}
