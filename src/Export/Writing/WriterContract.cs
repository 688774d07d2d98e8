using AiSocial.Export.Datasets;

namespace AiSocial.Export.Writing;

// The writer ↔ runs interface of issue 12 (see the shared contract). RUNS drives DatasetWriter through these records.

/// <summary>What the runner asks the writer for: one spec version, written into the run's staging directory as of the snapshot.</summary>
internal sealed record WriteRequest(DatasetSpec Spec, int SpecVersion, Guid RunId, string StagingDirectory,
    DateTimeOffset SnapshotAt, bool Incremental);

/// <summary>Where a run is: its phase (snapshot, write, publish) and the rows seen, written and excluded, and bytes written so far.</summary>
public sealed record RunProgress(string Phase, long RowsSeen, long RowsWritten, long RowsExcluded, long BytesWritten);

/// <summary>One Parquet shard the writer wrote, relative to the staging directory with '/'.</summary>
internal sealed record WrittenFile(string Path, string Split, long Rows, long Bytes, string Sha256);

internal sealed record WriteResult(IReadOnlyList<WrittenFile> Files, long RowsSeen, long RowsWritten,
    IReadOnlyDictionary<string, long> Excluded,
    IReadOnlyDictionary<string, long> Scrubbed,
    long DuplicatesCollapsed, long Clusters, long Revoked, IReadOnlyDictionary<string, long> RevokedByReason,
    IReadOnlyList<ColumnInfo> Columns, long PeakRssBytes);

/// <summary>A column of the shards, as croissant.json describes it.</summary>
internal sealed record ColumnInfo(string Name, string ParquetType, string CroissantDataType, string? JsonPath);
