using AiSocial.Export.Datasets;
using AiSocial.Moderation.HashBanks;

namespace AiSocial.Export.Writing;

/// <summary>
/// What a run asks the writer for: the spec (and its version), where to stage files, the snapshot's time, and how many
/// shards one range (one job) writes.
/// </summary>
internal sealed record WriteRequest(DatasetSpec Spec, int SpecVersion, Guid RunId, string StagingDirectory,
    DateTimeOffset SnapshotAt, bool Incremental, int ShardsPerRange = 1, int NearDuplicateBlock = NearDuplicateClusters.DefaultBlockSize);

/// <summary>Where a write is, reported as it goes.</summary>
public sealed record RunProgress(string Phase, long RowsSeen, long RowsWritten, long RowsExcluded, long BytesWritten);

/// <summary>A file the writer staged, with the size and SHA-256 computed while it was written. <see cref="Path"/> is relative, with '/'.</summary>
internal sealed record WrittenFile(string Path, string Split, long Rows, long Bytes, string Sha256);

/// <summary>
/// What the writer staged and counted: <see cref="Excluded"/> by eligibility or filter reason, <see cref="Scrubbed"/> by
/// kind of personal detail, and the revocations (by the contract's reasons) of rows earlier runs published.
/// </summary>
internal sealed record WriteResult(IReadOnlyList<WrittenFile> Files, long RowsSeen, long RowsWritten,
    IReadOnlyDictionary<string, long> Excluded,
    IReadOnlyDictionary<string, long> Scrubbed,
    long DuplicatesCollapsed, long Clusters, long Revoked, IReadOnlyDictionary<string, long> RevokedByReason,
    IReadOnlyList<ColumnInfo> Columns, long PeakRssBytes);

/// <summary>
/// What <see cref="DatasetWriter.PlanAsync"/> decided from the snapshot: the counts a run publishes (as in
/// <see cref="WriteResult"/>) and how many ranges of shards are left to write.
/// </summary>
internal sealed record WritePlan(long RowsSeen, long RowsWritten,
    IReadOnlyDictionary<string, long> Excluded,
    IReadOnlyDictionary<string, long> Scrubbed,
    long DuplicatesCollapsed, long Clusters, long Revoked, IReadOnlyDictionary<string, long> RevokedByReason,
    int Ranges, long PeakRssBytes)
{
    public WriteResult Result(IReadOnlyList<WrittenFile> files, IReadOnlyList<ColumnInfo> columns, long peakRssBytes) =>
        new(files, RowsSeen, RowsWritten, Excluded, Scrubbed, DuplicatesCollapsed, Clusters, Revoked, RevokedByReason, columns, peakRssBytes);

    /// <summary>The same plan read back from JSON, its counts in ordinal key order as the writer made them.</summary>
    public WritePlan Normalized() => this with
    {
        Excluded = Sorted(Excluded),
        Scrubbed = Sorted(Scrubbed),
        RevokedByReason = Sorted(RevokedByReason),
    };

    private static SortedDictionary<string, long> Sorted(IReadOnlyDictionary<string, long> counts) => new(counts.ToDictionary(), StringComparer.Ordinal);
}

/// <summary>The shards one range wrote, and the peak working set while writing them.</summary>
internal sealed record RangeWritten(IReadOnlyList<WrittenFile> Files, long PeakRssBytes);

/// <summary>A written column as croissant.json describes it; <see cref="JsonPath"/> names the part of a struct that holds the value (image bytes).</summary>
internal sealed record ColumnInfo(string Name, string ParquetType, string CroissantDataType, string? JsonPath)
{
    /// <summary>A list column: each value is a list of <see cref="CroissantDataType"/>, or of records of <see cref="SubFields"/>.</summary>
    public bool Repeated { get; init; }

    /// <summary>The fields of a list's records (name, Croissant type), in the Parquet struct's order; empty for a list of values.</summary>
    public IReadOnlyList<ColumnSubField> SubFields { get; init; } = [];
}

internal sealed record ColumnSubField(string Name, string CroissantDataType);
