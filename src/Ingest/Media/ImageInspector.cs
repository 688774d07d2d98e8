using System.Buffers.Binary;
using System.Security.Cryptography;
using AiSocial.Problems;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace AiSocial.Ingest.Media;

/// <summary>
/// An upload that passed every check, re-encoded from its decoded pixels: <see cref="Bytes"/> and <see cref="Sha256"/>
/// are what is stored and served; <see cref="UploadSha256"/> is the hash of the file as it was sent, which shared
/// hash banks match against.
/// </summary>
public sealed record InspectedImage(byte[] Bytes, string Sha256, string UploadSha256, string ContentType, int Width, int Height);

/// <summary>
/// Checks an upload without trusting it: size while reading, format by magic bytes, dimensions and pixel count from
/// the header before any pixel is decoded, then a full decode (a bounded number at once) so a truncated or damaged
/// file is refused. What is stored is encoded afresh from the pixels, upright, in sRGB: trailing bytes, appended
/// archives and metadata never reach storage.
/// </summary>
public sealed class ImageInspector
{
    private const int LossyQuality = 92;

    private readonly MediaOptions _options;
    private readonly SemaphoreSlim _decodeSlots;
    private readonly IngestTelemetry? _telemetry;

    public ImageInspector(IOptions<MediaOptions> options, IngestTelemetry? telemetry = null)
    {
        _options = options.Value;
        _telemetry = telemetry;
        _decodeSlots = new SemaphoreSlim(_options.MaxConcurrentDecodes ?? Environment.ProcessorCount);
    }

    /// <summary>The image, checked and re-encoded; refused (with what is wrong) when it is too large, not an image, or damaged.</summary>
    public async Task<Outcome<InspectedImage>> InspectAsync(Stream content, CancellationToken cancellationToken)
    {
        var read = await ReadBoundedAsync(content, cancellationToken);
        if (read.Refusal is { } unreadable)
        {
            return unreadable;
        }

        var bytes = read.Value;
        if (DetectFormat(bytes) is not { } format)
        {
            return new Refusal(IngestProblems.ImageUnsupported, "The file does not start like a PNG, JPEG, WebP or GIF image.");
        }

        // Skia reads a PNG up to its first pixel chunk before it reports a size, so PNG's fixed-place header is read here.
        if (format == Png && PngHeaderSize(bytes) is { } declared && CheckDimensions(declared.Width, declared.Height) is { } tooLarge)
        {
            return tooLarge;
        }

        using var codec = SKCodec.Create(new MemoryStream(bytes, writable: false), out var result);
        if (codec is null || codec.EncodedFormat != format.Skia)
        {
            return new Refusal(IngestProblems.ImageCorrupt, $"The {format.Name} header could not be read ({result}).");
        }

        if (CheckDimensions(codec.Info.Width, codec.Info.Height) is { } tooWide)
        {
            return tooWide;
        }

        var uploadSha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await _decodeSlots.WaitAsync(cancellationToken);
        _telemetry?.DecodesInProgress.Add(1);
        try
        {
            return Reencode(codec, format) is { } stored
                ? new InspectedImage(stored.Bytes, Convert.ToHexStringLower(SHA256.HashData(stored.Bytes)), uploadSha256,
                    stored.Format.ContentType, stored.Width, stored.Height)
                : new Refusal(IngestProblems.ImageCorrupt,
                    $"The {format.Name} image could not be decoded; it may be truncated or damaged.");
        }
        finally
        {
            _telemetry?.DecodesInProgress.Add(-1);
            _decodeSlots.Release();
        }
    }

    private sealed record Encoded(byte[] Bytes, Format Format, int Width, int Height);

    /// <summary>Decodes every pixel (the first frame of an animation), turns it upright, and encodes it again.</summary>
    private static Encoded? Reencode(SKCodec codec, Format format)
    {
        var opaque = codec.Info.AlphaType == SKAlphaType.Opaque;
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888,
            opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul, SKColorSpace.CreateSrgb());
        using var decoded = new SKBitmap(info);
        if (codec.GetPixels(info, decoded.GetPixels()) is not SKCodecResult.Success)
        {
            return null;
        }

        using var turned = Turned(decoded, codec.EncodedOrigin);
        var upright = turned ?? decoded;
        // The format stays what was sent, except that an animation becomes its first frame as a PNG.
        var stored = format == Gif ? Png : format;
        using var pixels = upright.PeekPixels();
        using var data = stored == Jpeg ? pixels.Encode(new SKJpegEncoderOptions(LossyQuality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore))
            : stored == Webp ? pixels.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, LossyQuality))
            : pixels.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, zLibLevel: 6));
        return data is null ? null : new Encoded(data.ToArray(), stored, upright.Width, upright.Height);
    }

    /// <summary>
    /// The bitmap as it is meant to be seen, applying the EXIF orientation that re-encoding would otherwise drop; null
    /// when it is already upright (no copy of up to 160 MiB of pixels for nothing).
    /// </summary>
    private static SKBitmap? Turned(SKBitmap source, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
        {
            return null;
        }

        var (w, h) = (source.Width, source.Height);
        var transposed = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        // Maps each stored pixel to where the viewer sees it: x' = ScaleX·x + SkewX·y + TransX, y' = SkewY·x + ScaleY·y + TransY.
        var matrix = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
            _ => SKMatrix.Identity,
        };
        var turned = new SKBitmap(source.Info.WithSize(transposed ? h : w, transposed ? w : h));
        using var canvas = new SKCanvas(turned);
        canvas.Clear(SKColors.Transparent);
        canvas.SetMatrix(matrix);
        using var paint = new SKPaint { BlendMode = SKBlendMode.Src };
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, 0, 0, SKSamplingOptions.Default, paint);
        return turned;
    }

    private Refusal? CheckDimensions(long width, long height)
    {
        if (width <= 0 || height <= 0 || width > _options.MaxSide || height > _options.MaxSide)
        {
            return new Refusal(IngestProblems.ImageDimensionsTooLarge,
                $"The image is {width}×{height} px; each side may be at most {_options.MaxSide} px.");
        }

        return width * height > _options.MaxPixels
            ? new Refusal(IngestProblems.ImageDimensionsTooLarge,
                $"The image is {width}×{height} px ({width * height / 1e6:0.#} megapixels); it may have at most {_options.MaxPixels / 1e6:0.#} megapixels.")
            : null;
    }

    /// <summary>Width and height from IHDR, which the PNG format requires to be the first chunk.</summary>
    private static (long Width, long Height)? PngHeaderSize(ReadOnlySpan<byte> png)
    {
        if (png.Length < 24 || BinaryPrimitives.ReadUInt32BigEndian(png[8..]) != 13 || !png[12..16].SequenceEqual("IHDR"u8))
        {
            return null;
        }

        return (BinaryPrimitives.ReadUInt32BigEndian(png[16..]), BinaryPrimitives.ReadUInt32BigEndian(png[20..]));
    }

    private async Task<Outcome<byte[]>> ReadBoundedAsync(Stream content, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > _options.MaxBytes)
            {
                return new Refusal(IngestProblems.ImageTooLarge, $"The image is larger than {_options.MaxBytes / (1024 * 1024)} MB.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.Length == 0 ? new Refusal(IngestProblems.ImageMissing, "The image file is empty.") : buffer.ToArray();
    }

    private sealed record Format(string Name, string ContentType, SKEncodedImageFormat Skia);

    private static readonly Format Png = new("PNG", "image/png", SKEncodedImageFormat.Png);
    private static readonly Format Jpeg = new("JPEG", "image/jpeg", SKEncodedImageFormat.Jpeg);
    private static readonly Format Webp = new("WebP", "image/webp", SKEncodedImageFormat.Webp);
    private static readonly Format Gif = new("GIF", "image/gif", SKEncodedImageFormat.Gif);

    private static Format? DetectFormat(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return Png;
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return Jpeg;
        }

        if (bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
        {
            return Webp;
        }

        return bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8) ? Gif : null;
    }
}
