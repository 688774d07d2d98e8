using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AiSocial.Export;

/// <summary>The exporter's meter and activity source, <c>AiSocial.Export</c>: rows and bytes written, by dataset.</summary>
internal sealed class ExportTelemetry
{
    public const string Name = "AiSocial.Export";

    public static readonly ActivitySource Activities = new(Name);

    public ExportTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        Rows = meter.CreateCounter<long>("aisocial.export.rows", "{row}", "Rows written into published exports, by dataset.");
        Bytes = meter.CreateCounter<long>("aisocial.export.bytes", "By", "Bytes of Parquet written into published exports, by dataset.");
    }

    public Counter<long> Rows { get; }

    public Counter<long> Bytes { get; }
}
