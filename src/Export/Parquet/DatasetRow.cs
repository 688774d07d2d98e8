namespace AiSocial.Export.Parquet;

/// <summary>One exported post. <see cref="ConsentEventId"/> records which consent covered it (GDPR Art. 7(1)).</summary>
internal sealed record DatasetRow(
    Guid PostId,
    string Prompt,
    string? Caption,
    byte[] ImageBytes,
    string ImagePath,
    int Width,
    int Height,
    string ModerationLabel,
    string LabelSource,
    long ConsentEventId,
    DateTimeOffset PublishedAt);

/// <summary>A file of a run: its path relative to the run with '/', the split of a shard, its rows (0 for the files that describe the run), size and SHA-256.</summary>
public sealed record ShardFile(string Path, long Rows, long Bytes, string Sha256, string? Split = null);
