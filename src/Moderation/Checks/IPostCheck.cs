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

    CheckReads Reads { get; }

    /// <summary>A post is not decided while a required check is unavailable.</summary>
    bool Required { get; }

    TimeSpan Timeout { get; }

    Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken);
}

/// <summary>What running a check produced: signals, or the reason it could not run.</summary>
public sealed record CheckResult(IPostCheck Check, IReadOnlyList<Signal> Signals, string? UnavailableReason)
{
    /// <summary>How long the check ran, until it answered, failed or timed out.</summary>
    public TimeSpan Duration { get; init; }

    public bool Available => UnavailableReason is null;
}
