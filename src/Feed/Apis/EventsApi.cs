using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Events;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

/// <summary>One interaction event: <c>type</c> view, dwell, share or click; <c>ms</c> for dwell only; <c>at</c> defaults to now.</summary>
public sealed record EventRequest(string? Type, string? PostId, long? Ms, DateTimeOffset? At);

/// <summary>A batch of 1–500 events, recorded whole or not at all.</summary>
public sealed record EventBatchRequest(IReadOnlyList<EventRequest?>? Events);

public sealed record EventBatchResponse(int Accepted);

/// <summary>Views, dwell times, shares and clicks, in batches: 202 once the batch is committed.</summary>
public static class EventsApi
{
    /// <summary>500 events as JSON take about 60 KB; this leaves room for whitespace and long timestamps.</summary>
    public const long MaxBodyBytes = 256 * 1024;

    public static RouteGroupBuilder MapEventsApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/events").WithTags("Events").RequireAuthorization();
        group.MapPost("", Record).LimitRequestBody(MaxBodyBytes)
            .WithDescription("A batch of at most 500 events {type: view|dwell|share|click, postId, ms (dwell only, 1–3 600 000), at? (within the last 7 days)}. " +
                             "Checked as a whole: one bad event refuses the batch, naming it as events[i].field. 202 only once the batch is committed. " +
                             "Events for posts that do not exist are accepted and never counted.");
        return group;
    }

    private static async Task<Results<Accepted<EventBatchResponse>, BadRequestProblem, ServiceUnavailableProblem>> Record(EventBatchRequest request,
        ClaimsPrincipal user, EventRecorder recorder, CancellationToken cancellationToken)
    {
        var recorded = await recorder.RecordAsync(user.AccountId(),
            request.Events?.Select(e => e is null ? null : new EventDraft(e.Type, e.PostId, e.Ms, e.At)).ToList(), cancellationToken);
        if (recorded.Refusal is { } refusal)
        {
            return refusal.Problem.Status == StatusCodes.Status503ServiceUnavailable ? new ServiceUnavailableProblem(refusal) : new BadRequestProblem(refusal);
        }

        return TypedResults.Accepted((string?)null, new EventBatchResponse(recorded.Value));
    }
}
