using System.ComponentModel.DataAnnotations;

namespace AiSocial.Ingest.Media;

public sealed record MediaOptions
{
    public const string Section = "Media";

    /// <summary>Where image files live, content-addressed by SHA-256. Relative paths are under the working directory.</summary>
    [Required]
    public string Root { get; init; } = ".data/media";

    [Range(1, 512L * 1024 * 1024)]
    public long MaxBytes { get; init; } = 20 * 1024 * 1024;

    [Range(1, 65_535)]
    public int MaxSide { get; init; } = 8192;
}
