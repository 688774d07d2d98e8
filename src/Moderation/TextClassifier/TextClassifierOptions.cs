using System.ComponentModel.DataAnnotations;

namespace AiSocial.Moderation.TextClassifier;

/// <summary>When the in-house text classifier retrains and what it needs before it may.</summary>
public sealed record TextClassifierOptions
{
    public const string Section = "Moderation:TextClassifier";

    /// <summary>The retrain job trains a new version once this many human labels arrived after the latest version's snapshot.</summary>
    [Range(1, 1_000_000)]
    public int RetrainAfterNewLabels { get; init; } = 50;

    /// <summary>Training is refused with fewer labelled posts than this.</summary>
    [Range(10, 10_000_000)]
    public int MinimumLabelledPosts { get; init; } = 50;

    /// <summary>Training is refused unless each class (safe, unsafe) has at least this many posts.</summary>
    [Range(2, 1_000_000)]
    public int MinimumPerClass { get; init; } = 10;

    /// <summary>The share of posts (by a hash of the post id, so a post stays on its side) held out for metrics.</summary>
    [Range(5, 50)]
    public int HeldOutPercent { get; init; } = 20;

    /// <summary>Whether the scheduler host checks for enough new labels periodically.</summary>
    public bool RunScheduledRetrain { get; init; } = true;

    [Range(1, 1440)]
    public int RetrainCheckMinutes { get; init; } = 10;
}
