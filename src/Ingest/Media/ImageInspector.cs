using System.Buffers.Binary;
using System.Security.Cryptography;
using AiSocial.Problems;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace AiSocial.Ingest.Media;

/// <summary>An upload that passed every check: its bytes, identity and what it is.</summary>
public sealed record InspectedImage(byte[] Bytes, string Sha256, string ContentType, int Width, int Height);

/// <summary>
/// Checks an upload without trusting it: size while reading, format by magic bytes, dimensions from the header
/// before any pixel is decoded, then a full decode so a truncated or damaged file is refused.
/// </summary>
public sealed class ImageInspector(IOptions<MediaOptions> options)
{
    // A full decode of an 8192² image needs 256 MiB; at most one per core at a time.
    private static readonly SemaphoreSlim DecodeSlots = new(Environment.ProcessorCount);

    private readonly MediaOptions _options = options.Value;

    /// <summary>The image, checked; refused (with what is wrong) when it is too large, not an image, or damaged.</summary>
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

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (CheckDimensions(width, height) is { } tooWide)
        {
            return tooWide;
        }

        await DecodeSlots.WaitAsync(cancellationToken);
        try
        {
            var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
            using var bitmap = new SKBitmap(info);
            var decoded = codec.GetPixels(info, bitmap.GetPixels());
            if (decoded is not SKCodecResult.Success)
            {
                return new Refusal(IngestProblems.ImageCorrupt,
                    $"The {format.Name} image could not be decoded ({decoded}); it may be truncated or damaged.");
            }
        }
        finally
        {
            DecodeSlots.Release();
        }

        return new InspectedImage(bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)), format.ContentType, width, height);
    }

    private Refusal? CheckDimensions(long width, long height) =>
        width <= 0 || height <= 0 || width > _options.MaxSide || height > _options.MaxSide
            ? new Refusal(IngestProblems.ImageDimensionsTooLarge,
                $"The image is {width}×{height} px; each side may be at most {_options.MaxSide} px.")
            : null;

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
