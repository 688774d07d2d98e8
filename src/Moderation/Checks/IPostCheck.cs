using System.Text.Json;

namespace AiSocial.Moderation.Checks;

/// <summary>
/// One observation about a post: which check, which model version, what category, how strongly (0–1). A service that
/// grades in levels (Content Safety: 0–7) also gives the <paramref name="Severity"/> level, and its score is level / 7.
/// </summary>
public sealed record Signal(string Source, string ModelVersion, string Category, double Score, JsonElement? Detail = null, int? Severity = null);

/// <summary>What a check looks at. Image checks run first; text checks then see the post's text plus any text they found in the image.</summary>
[Flags]
public enum CheckReads
{
    Image = 1,
    Text = 2,
}

/// <summary>
/// A check run against each new post (and by <c>aisocial models check</c> against files). A check that fails or
/// times out is <em>unavailable</em>, never a low score: it throws, and the runner records why.
/// </summary>
public interface IPostCheck
{
    string Source { get; }

    /// <summary>
    /// The check's name under <c>Moderation:Checks</c> (<c>Moderation:Checks:{SettingsKey}:Enabled|Required|Mode</c>),
    /// which switches it off, makes it optional or required, or runs it in shadow.
    /// </summary>
    string SettingsKey { get; }

    CheckReads Reads { get; }

    /// <summary>
    /// Whether a post waits while this check is unavailable, unless configuration says otherwise
    /// (<see cref="CheckSettings.Required"/>).
    /// </summary>
    bool Required { get; }

    TimeSpan Timeout { get; }

    Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken);
}

/// <summary>What running a check produced: signals, or the reason it could not run.</summary>
public sealed record CheckResult(IPostCheck Check, IReadOnlyList<Signal> Signals, string? UnavailableReason)
{
    /// <summary>Whether the post waits while this check is unavailable, as configured (a shadow check never is).</summary>
    public bool Required { get; init; } = Check.Required;

    /// <summary>The check ran in shadow: its signals are stored marked shadow and the policy never reads them.</summary>
    public bool Shadow { get; init; }

    /// <summary>How long the check ran, until it answered, failed or timed out.</summary>
    public TimeSpan Duration { get; init; }

    public bool Available => UnavailableReason is null;
}
