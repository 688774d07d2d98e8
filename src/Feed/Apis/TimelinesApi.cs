using AiSocial.Ingest;
using AiSocial.Ingest.Posts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

public sealed record TimelineResponse(IReadOnlyList<PostResponse> Items, string? NextCursor);

/// <summary>Timelines, newest first, paged with an opaque cursor.</summary>
public static class TimelinesApi
{
    public const int DefaultLimit = 20;

    public static RouteGroupBuilder MapTimelinesApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/timelines").WithTags("Timelines");
        group.MapGet("/public", GetPublic);
        return group;
    }

    private static async Task<Ok<TimelineResponse>> GetPublic(PostStore posts, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        var pageSize = limit ?? DefaultLimit;
        if (pageSize is < 1 or > PostStore.MaxPageSize)
        {
            throw ValidationFailedException.For("limit", $"limit must be between 1 and {PostStore.MaxPageSize}.");
        }

        var page = await posts.PublicTimelineAsync(TimelineCursor.Decode(cursor), pageSize, cancellationToken);
        return TypedResults.Ok(new TimelineResponse(page.Items.Select(p => p.ToResponse()).ToList(), page.NextCursor));
    }
}
