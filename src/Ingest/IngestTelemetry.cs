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
    }

    public Counter<long> PostsSubmitted { get; }

    public UpDownCounter<long> DecodesInProgress { get; }
}
