using System.ComponentModel.DataAnnotations;

namespace AiSocial.Moderation.Prompts;

/// <summary>How strict the prompt gate is (<c>Moderation:PromptGate</c>).</summary>
internal sealed record PromptGateOptions
{
    public const string Section = "Moderation:PromptGate";

    /// <summary>A prompt is refused when the active text classifier's probability of unsafe text is at least this.</summary>
    [Range(0.0, 1.0)]
    public double ClassifierThreshold { get; init; } = 0.9;
}
