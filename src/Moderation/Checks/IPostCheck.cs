using System.Text.Json;
using AiSocial.Ingest.Posts;

namespace AiSocial.Moderation.Checks;

/// <summary>One observation about a post: which check, which model version, what category, how strongly (0–1).</summary>
public sealed record Signal(string Source, string ModelVersion, string Category, double Score, JsonElement? Detail = null);

/// <summary>A check run against each new post. A check that fails or times out is <em>unavailable</em>, never a low score.</summary>
public interface IPostCheck
{
    string Source { get; }

    /// <summary>A post is not decided while a required check is unavailable.</summary>
    bool Required { get; }

    TimeSpan Timeout { get; }

    Task<IReadOnlyList<Signal>> RunAsync(Post post, CancellationToken cancellationToken);
}

/// <summary>What running a check produced: signals, or the reason it could not run.</summary>
public sealed record CheckResult(IPostCheck Check, IReadOnlyList<Signal> Signals, string? UnavailableReason)
{
    public bool Available => UnavailableReason is null;
}
