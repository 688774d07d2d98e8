using System.Text.Json;
using AiSocial.Export.Parquet;

namespace AiSocial.Export.Runs;

/// <summary>
/// What an export published: enough to check every file and to say which data and consent state it came from
/// (<see cref="ConsentLedgerHead"/> the newest ledger event's id, <see cref="ConsentLedgerHeadHash"/> its chain hash).
/// <see cref="Excluded"/> counts the posts left out by the first reason <see cref="Eligibility"/> gave.
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
    string? ConsentLedgerHeadHash = null)
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

public sealed record ExportProgress(long Done, long Total, long Included);

public sealed record ExportRun(Guid RunId, string Output, ExportManifest Manifest);
