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

    /// <summary>Width × height at most; 40 MP decodes to 160 MiB of pixels.</summary>
    [Range(1, 1L << 32)]
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Frames an animation (GIF, WebP) may have; only its first frame is stored, but every frame is parsed.</summary>
    [Range(1, 100_000)]
    public int MaxFrames { get; init; } = 500;

    /// <summary>The library that decodes, re-encodes and thumbnails uploads, chosen by measurement (<c>bench feed</c>).</summary>
    public ImagingLibrary Library { get; init; } = ImagingLibrary.Vips;

    /// <summary>Images decoded at once in one process; further uploads wait their turn. Unset means one per core.</summary>
    [Range(1, 1024)]
    public int? MaxConcurrentDecodes { get; init; }

    /// <summary>
    /// How old a stray file must be before the sweep removes it: a temporary left by a failed upload, or a stored file
    /// no row refers to. Long enough that no upload still in flight can own it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan StrayFileGrace { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often the sweep runs on the host that runs the scheduler; zero switches it off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromHours(6);
}
