using System.Text.Json;
using AiSocial.Export.Datasets;
using AiSocial.Export.Parquet;

namespace AiSocial.Export.Runs;

/// <summary>
/// What an export published: enough to check every file and to say which data and consent state it came from
/// (<see cref="ConsentLedgerHead"/> the newest ledger event's id, <see cref="ConsentLedgerHeadHash"/> its chain hash).
/// <see cref="Excluded"/> counts the posts left out by the first reason <see cref="Eligibility"/> gave, <see cref="Revoked"/> the
/// rows earlier runs published that this run revokes, by reason. <see cref="Files"/> names every file of the run but the
/// manifest itself. Only the manifest holds the run id and wall-clock times: the other files of a rerun on unchanged
/// data are byte-identical.
/// </summary>
public sealed record ExportManifest(
    string Dataset,
    Guid RunId,
    string Purpose,
    DateTimeOffset SnapshotAt,
    long ConsentLedgerHead,
    string PolicyVersion,
    long RowsIncluded,
    IReadOnlyDictionary<string, long> Excluded,
    IReadOnlyList<ShardFile> Files,
    DateTimeOffset CreatedAt,
    string RequestedBy,
    string? ConsentLedgerHeadHash = null,
    DatasetSpec? Spec = null,
    int? SpecVersion = null,
    string? Version = null,
    string? Kind = null,
    DateTimeOffset? Watermark = null,
    IReadOnlyDictionary<string, string>? ModelVersions = null,
    IReadOnlyDictionary<string, long>? Scrubbed = null,
    long DuplicatesCollapsed = 0,
    long Clusters = 0,
    IReadOnlyDictionary<string, long>? Revoked = null,
    IReadOnlyDictionary<string, long>? Splits = null,
    long? PeakRssBytes = null)
{
    public const string FileName = "manifest.json";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<ExportManifest> ReadAsync(string directory, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(Path.Combine(directory, FileName));
        return await JsonSerializer.DeserializeAsync<ExportManifest>(stream, Json, cancellationToken)
            ?? throw new InvalidDataException($"{FileName} is empty.");
    }
}
