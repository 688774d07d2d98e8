using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AiSocial.Ingest;

/// <summary>The system of record's meter and activity source, <c>AiSocial.Ingest</c>.</summary>
public sealed class IngestTelemetry
{
    public const string Name = "AiSocial.Ingest";

    public static readonly ActivitySource Activities = new(Name);

    public IngestTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        PostsSubmitted = meter.CreateCounter<long>("aisocial.posts.submitted", "{post}", "Posts accepted and waiting for their checks (retries not counted).");
        DecodesInProgress = meter.CreateUpDownCounter<long>("aisocial.media.decodes_in_progress", "{image}",
            "Uploaded images being decoded and re-encoded now; at most Media:MaxConcurrentDecodes per process.");
        EventsWritten = meter.CreateCounter<long>("aisocial.events.written", "{event}", "Interaction events committed (and acknowledged).");
        EventCopies = meter.CreateCounter<long>("aisocial.events.copies", "{transaction}",
            "Group commits of the event writer: one binary COPY in one transaction each, holding the batches of one or more requests.");
        EventsQueued = meter.CreateUpDownCounter<long>("aisocial.events.queued", "{event}", "Events waiting for the writer now.");
        EventsRefused = meter.CreateCounter<long>("aisocial.events.refused", "{event}", "Events refused because the queue was full or the write failed.");
    }

    public Counter<long> EventsWritten { get; }

    public Counter<long> EventCopies { get; }

    public UpDownCounter<long> EventsQueued { get; }

    public Counter<long> EventsRefused { get; }

    public Counter<long> PostsSubmitted { get; }

    public UpDownCounter<long> DecodesInProgress { get; }
}
