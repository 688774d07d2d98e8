using System.Globalization;
using AiSocial.Problems;

namespace AiSocial.Ingest.Events;

/// <summary>
/// Takes a batch of interaction events from one account: checks every event first and refuses the whole batch if any
/// is wrong (naming each bad event by its index and field), then hands it to the <see cref="EventWriter"/> and answers
/// once it is committed. Post ids are not looked up: a lookup per event would cost more than writing it, so events for
/// posts that do not exist are stored and the rollup, which joins posts, ignores them.
/// </summary>
public sealed class EventRecorder(EventWriter writer, TimeProvider time)
{
    public const int MaxEventsPerRequest = 500;
    public const int MaxDwellMs = 60 * 60 * 1000;
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(7);
    public static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(5);

    public const string EventsRule = "Send 'events': an array of 1–500 events.";
    public const string TypeRule = "'type' is one of view, dwell, share or click.";
    public const string PostIdRule = "'postId' is the id of a post, like 3fa85f64-5717-4562-b3fc-2c963f66afa6.";
    public const string DwellRule = "A dwell event needs 'ms': how long the post was seen, 1 to 3 600 000 milliseconds.";
    public const string MsOnlyForDwellRule = "Only dwell events carry 'ms'.";
    public const string AtRule = "'at' is when it happened, at most 7 days ago and at most 5 minutes ahead of the server's clock; leave it out for now.";

    // A refusal names at most this many fields, so a batch of 500 bad events gets a readable answer.
    private const int MaxErrors = 50;

    /// <summary>How many events were recorded (all of them), or why none were.</summary>
    public async Task<Outcome<int>> RecordAsync(Guid accountId, IReadOnlyList<EventDraft?>? drafts, CancellationToken cancellationToken)
    {
        if (drafts is null || drafts.Count is 0 or > MaxEventsPerRequest)
        {
            return Refusal.Invalid("events", drafts is null ? EventsRule : $"{EventsRule} This request had {drafts.Count}.");
        }

        var now = time.GetUtcNow();
        var errors = new ValidationErrors();
        var count = 0;
        var events = new InteractionEvent[drafts.Count];
        for (var i = 0; i < drafts.Count && count < MaxErrors; i++)
        {
            if (Check(drafts[i], i, accountId, now, errors, ref count) is { } valid)
            {
                events[i] = valid;
            }
        }

        if (errors.ToRefusal() is { } refusal)
        {
            return refusal;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return await writer.WriteAsync(events);
    }

    private static InteractionEvent? Check(EventDraft? draft, int index, Guid accountId, DateTimeOffset now, ValidationErrors errors, ref int count)
    {
        var field = $"events[{index.ToString(CultureInfo.InvariantCulture)}]";
        var before = count;
        if (draft is null)
        {
            errors.Add(field, "Each event is an object with 'type' and 'postId'.");
            count++;
            return null;
        }

        EventType? type = draft.Type switch
        {
            "view" => EventType.View,
            "dwell" => EventType.Dwell,
            "share" => EventType.Share,
            "click" => EventType.Click,
            _ => null,
        };
        if (type is null)
        {
            errors.Add($"{field}.type", TypeRule);
            count++;
        }

        if (!Guid.TryParse(draft.PostId, out var postId))
        {
            errors.Add($"{field}.postId", PostIdRule);
            count++;
        }

        if (type == EventType.Dwell && draft.Ms is not (>= 1 and <= MaxDwellMs))
        {
            errors.Add($"{field}.ms", DwellRule);
            count++;
        }
        else if (type is not null && type != EventType.Dwell && draft.Ms is not null)
        {
            errors.Add($"{field}.ms", MsOnlyForDwellRule);
            count++;
        }

        if (draft.At is { } at && (at < now - MaxAge || at > now + MaxAhead))
        {
            errors.Add($"{field}.at", AtRule);
            count++;
        }

        return count == before ? new InteractionEvent(draft.At ?? now, postId, accountId, type!.Value, (int?)draft.Ms) : null;
    }
}
