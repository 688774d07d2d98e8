using System.ComponentModel.DataAnnotations;
using AiSocial.Moderation.HashBanks;

namespace AiSocial.Export;

/// <summary>
/// Where runs are published (<c>Export:Root</c>: <c>{Root}/{dataset}/{runId}/</c>), how often a running run reports its
/// progress and heartbeat, and how old a heartbeat may grow before the run counts as killed.
/// </summary>
internal sealed record ExportOptions
{
    public const string Section = "Export";

    [Required]
    public string Root { get; init; } = "";

    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A running run whose heartbeat is older than this was killed; the next start fails it and cleans up after it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How many shards one range, the unit of work a node takes (a Quartz job on the clustered store, or a task in the
    /// process that runs the export), writes.
    /// </summary>
    [Range(1, 1000)]
    public int ShardsPerJob { get; init; } = 1;

    /// <summary>
    /// How many eligible posts a planning node compares for near-duplicates in memory at once (about 110 bytes each). A
    /// run with more compares each block with the posts after it by reading their hashes back from the database, so the
    /// memory stays the same whatever the dataset's size, and the time grows with the number of blocks.
    /// </summary>
    [Range(2, int.MaxValue)]
    public int NearDuplicateBlock { get; init; } = NearDuplicateClusters.DefaultBlockSize;

    /// <summary>The public address of the console, for the <c>url</c> of croissant.json; a URN names the dataset when unset.</summary>
    public string? PublicUrl { get; init; }
}
