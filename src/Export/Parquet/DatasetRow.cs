using System.Text.Json.Serialization;
using AiSocial.Export.Writing;

namespace AiSocial.Export.Parquet;

/// <summary>
/// One exported post, text already scrubbed. <see cref="ConsentEventId"/> records which consent covered it (GDPR
/// Art. 7(1)); <see cref="AuthorId"/> is the author's pseudonym in this dataset, never their account id.
/// </summary>
internal sealed record DatasetRow(
    Guid PostId,
    string RowKey,
    string AuthorId,
    string? Prompt,
    string? NegativePrompt,
    string? Caption,
    string? AltText,
    IReadOnlyList<string> Tags,
    string? Generator,
    long? Seed,
    int Width,
    int Height,
    byte[] ImageBytes,
    string ImagePath,
    string LabelDecision,
    string LabelSource,
    string? ReviewerRole,
    string PolicyVersion,
    IReadOnlyList<ModelSignal> ModelSignals,
    long Likes,
    long Comments,
    long Remixes,
    long Views,
    long? MedianDwellMs,
    long ConsentEventId,
    string License,
    DateTimeOffset CreatedAt)
{
    /// <summary>
    /// What scrubbing replaced in this row's text, when anything: staged with the row (not a column), so a row taken out
    /// of the staged rows later (proved a copy) takes its counts out of the run's with it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ScrubCounts? Scrubbed { get; init; }

    /// <summary>About what the row takes uncompressed, for sizing row groups.</summary>
    [JsonIgnore]
    public long ApproximateBytes => ImageBytes.Length + 256
        + 2L * ((Prompt?.Length ?? 0) + (NegativePrompt?.Length ?? 0) + (Caption?.Length ?? 0) + (AltText?.Length ?? 0) + Tags.Sum(t => t.Length))
        + 64L * ModelSignals.Count;
}

/// <summary>A moderation model's score for the post, with the model version that gave it.</summary>
internal sealed record ModelSignal(string Source, string Category, float Score, string ModelVersion);

/// <summary>A file of a run: its path relative to the run with '/', the split of a shard, its rows (0 for the files that describe the run), size and SHA-256.</summary>
public sealed record ShardFile(string Path, long Rows, long Bytes, string Sha256, string? Split = null);
