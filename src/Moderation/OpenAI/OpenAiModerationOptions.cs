using System.ComponentModel.DataAnnotations;

namespace AiSocial.Moderation.OpenAI;

/// <summary>
/// OpenAI's omni-moderation (<c>Moderation:OpenAI</c>), an optional second opinion on a post's text and image. With
/// neither <see cref="Endpoint"/> nor <see cref="Key"/> set the check is not registered at all, so the platform works
/// offline; once either is set the key is required and an unreachable service makes the check unavailable, never "safe".
/// </summary>
internal sealed record OpenAiModerationOptions
{
    public const string Section = "Moderation:OpenAI";

    /// <summary>The API's base address, such as <c>https://api.openai.com/v1</c> (the SDK's default when unset).</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The API key; from the environment (<c>Moderation__OpenAI__Key</c>), never from the repository.</summary>
    public string? Key { get; init; }

    [Required]
    public string Model { get; init; } = "omni-moderation-latest";

    /// <summary>How long one post's request may take before the check is given up as unavailable.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; init; } = 20;

    /// <summary>Images larger than this are sent re-encoded as a JPEG of at most <see cref="MaxImageSide"/> pixels a side.</summary>
    [Range(65_536, 20_000_000)]
    public int MaxImageBytes { get; init; } = 4_000_000;

    [Range(64, 8192)]
    public int MaxImageSide { get; init; } = 2048;
}
