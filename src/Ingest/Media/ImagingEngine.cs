namespace AiSocial.Ingest.Media;

/// <summary>Which imaging library decodes, re-encodes and thumbnails uploads; <c>bench feed</c> measures both.</summary>
public enum ImagingLibrary
{
    /// <summary>libvips through NetVips: shrink-on-load and streaming decode.</summary>
    Vips,

    /// <summary>SkiaSharp: every image decoded whole into memory.</summary>
    Skia,
}

/// <summary>What the header says, before any pixel is decoded. Width and height are as stored, before orientation.</summary>
internal abstract class OpenedImage : IDisposable
{
    public abstract int Width { get; }

    public abstract int Height { get; }

    /// <summary>Frames of an animation (1 for a still image).</summary>
    public abstract int Frames { get; }

    /// <summary>
    /// Decodes every pixel (of the first frame), turns the picture upright, converts it to sRGB and encodes it afresh
    /// without metadata, then makes the thumbnail and the placeholder's pixels; null when the pixels cannot be decoded.
    /// </summary>
    public abstract ProcessedImage? Process();

    public abstract void Dispose();
}

/// <summary>A tiny RGB copy of the picture (3 bytes a pixel, rows top to bottom), which the placeholder is computed from.</summary>
internal sealed record PreviewPixels(int Width, int Height, byte[] Rgb);

internal sealed record ProcessedImage(
    byte[] Bytes, ImageFormat Format, int Width, int Height, byte[] Thumbnail, int ThumbnailWidth, int ThumbnailHeight, PreviewPixels Preview);

/// <summary>One imaging library behind the pipeline: opens an upload by its header, then processes it.</summary>
internal abstract class ImagingEngine
{
    /// <summary>The thumbnail's longest side.</summary>
    public const int ThumbnailSide = 512;

    /// <summary>The longest side of the pixels the placeholder is computed from.</summary>
    public const int PreviewSide = 32;

    public const int LossyQuality = 92;

    public const int ThumbnailQuality = 80;

    public abstract string Name { get; }

    /// <summary>The upload's header, read with the decoder of <paramref name="format"/> only; null when it is not that format.</summary>
    public abstract OpenedImage? Open(byte[] bytes, ImageFormat format);

    /// <summary>A WebP thumbnail (longest side at most <see cref="ThumbnailSide"/>) of an image already stored.</summary>
    public abstract (byte[] Bytes, int Width, int Height) Thumbnail(byte[] stored);

    /// <summary>The engine of <paramref name="library"/>; fails at once, saying why, when libvips' native library cannot be loaded.</summary>
    public static ImagingEngine For(ImagingLibrary library) => library switch
    {
        ImagingLibrary.Skia => SkiaImaging.Instance,
        _ when !NetVips.ModuleInitializer.VipsInitialized => throw new InvalidOperationException(
            $"libvips could not be loaded ({NetVips.ModuleInitializer.Exception?.Message}); set Media:Library to Skia to run without it."),
        _ => VipsImaging.Instance,
    };

    /// <summary>The size that fits <paramref name="side"/> on the longer side, never enlarging.</summary>
    public static (int Width, int Height) Fit(int width, int height, int side)
    {
        if (width <= side && height <= side)
        {
            return (width, height);
        }

        var scale = (double)side / Math.Max(width, height);
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }
}
