using System.ComponentModel.DataAnnotations;
using AiSocial.Moderation.Checks;

namespace AiSocial.Moderation;

public sealed record ModerationOptions
{
    public const string Section = "Moderation";

    /// <summary>How often the scan job looks for new posts.</summary>
    [Range(1, 3600)]
    public int ScanIntervalSeconds { get; init; } = 5;

    [Range(1, 1000)]
    public int ScanBatchSize { get; init; } = 32;

    /// <summary>
    /// How many posts of a batch one node scans at once (each runs its image models on threads of their own). The
    /// models' sessions are shared and safe to run concurrently; the default keeps every core busy.
    /// </summary>
    [Range(1, 256)]
    public int ScanParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// How many nodes may run the scan job at the same moment (one trigger each on the clustered store). Set it to at
    /// least the number of nodes that scan (console and workers); a node already scanning ignores a firing.
    /// </summary>
    [Range(1, Extensions.MaxScanSlots)]
    public int ScanSlots { get; init; } = 8;

    /// <summary>How long a leased post stays with one worker before another may take it.</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; init; } = 120;

    /// <summary>After this many tries with a required check unavailable, the post goes to human review.</summary>
    [Range(1, 100)]
    public int MaxCheckAttempts { get; init; } = 5;

    /// <summary>Whether this host runs the scan job on its scheduler (the console does; tests drive the scanner directly).</summary>
    public bool RunScheduledScans { get; init; } = true;

    /// <summary>Each check's settings by its <see cref="IPostCheck.SettingsKey"/>: <c>Moderation:Checks:Nsfw:Mode=Shadow</c> and so on.</summary>
    public Dictionary<string, CheckSettings> Checks { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How configuration has a check run, or null when it is switched off.</summary>
    public ConfiguredCheck? Configure(IPostCheck check)
    {
        var settings = Checks.GetValueOrDefault(check.SettingsKey) ?? new CheckSettings();
        if (settings.Enabled == false)
        {
            return null;
        }

        var mode = settings.Mode ?? CheckMode.Live;
        // A shadow check is never acted on, so waiting for it would hold posts for nothing.
        return new ConfiguredCheck(check, mode == CheckMode.Live && (settings.Required ?? check.Required), mode);
    }
}
