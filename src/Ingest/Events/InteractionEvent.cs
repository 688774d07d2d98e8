namespace AiSocial.Ingest.Events;

/// <summary>What a person did with a post, as stored in <c>ingest.events</c> (the type as its code there).</summary>
public enum EventType : short
{
    View = 1,
    Dwell = 2,
    Share = 3,
    Click = 4,
}

/// <summary>One validated event, ready for the writer.</summary>
public readonly record struct InteractionEvent(DateTimeOffset At, Guid PostId, Guid AccountId, EventType Type, int? Ms);

/// <summary>One event as a client sent it, not yet checked.</summary>
public sealed record EventDraft(string? Type, string? PostId, long? Ms, DateTimeOffset? At);
