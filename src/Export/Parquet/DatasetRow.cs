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

public sealed record ShardFile(string Path, long Rows, long Bytes, string Sha256);
