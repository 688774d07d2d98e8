using System.Buffers.Binary;
using System.Security.Cryptography;
using AiSocial.Problems;
using AiSocial.SafetyModels.Pdq;
using Microsoft.Extensions.Options;

namespace AiSocial.Ingest.Media;

/// <summary>
/// An upload that passed every check, re-encoded from its decoded pixels: <see cref="Bytes"/> and <see cref="Sha256"/>
/// are what is stored and served; <see cref="UploadSha256"/> is the hash of the file as it was sent, which shared
/// hash banks match against. <see cref="Provenance"/> was read from the upload before its metadata was dropped;
/// <see cref="Pdq"/> is the PDQ hash of the stored pixels.
/// </summary>
public sealed record InspectedImage(byte[] Bytes, string Sha256, string UploadSha256, string ContentType, int Width, int Height)
{
    /// <summary>The WebP thumbnail, at most 512 px on its longer side (never enlarged).</summary>
    public byte[] Thumbnail { get; init; } = [];

    /// <summary>A BlurHash of the picture, shown while it loads.</summary>
    public string? Placeholder { get; init; }

    public PdqResult Pdq { get; init; }

    /// <summary>
    /// The PDQ hashes of the stored pixels' eight dihedral transforms (<see cref="PdqHasher.DihedralNames"/> order, the
    /// first is <see cref="Pdq"/>'s), so a rotated or mirrored copy posted later is found as a near-duplicate.
    /// </summary>
    public IReadOnlyList<PdqHash> PdqDihedral { get; init; } = [];

    /// <summary>Frames in the upload (an animation is stored as its first frame).</summary>
    public int Frames { get; init; } = 1;

    public ImageProvenance Provenance { get; init; } = new(true, null, null, false);
}

/// <summary>
/// Checks an upload without trusting it: size while reading, format by magic bytes, dimensions, pixel count and frame
/// count from the header before any pixel is decoded, then a full decode (a bounded number at once) so a truncated or
/// damaged file is refused. Provenance is read from the upload first; what is stored is then encoded afresh from the
/// pixels, upright, in sRGB: trailing bytes, appended archives and metadata (EXIF with its GPS position, XMP, IPTC,
/// comments) never reach storage. The decoding library is <see cref="MediaOptions.Library"/>.
/// </summary>
public sealed class ImageInspector
{
    private readonly MediaOptions _options;
    private readonly ImagingEngine _engine;
    private readonly SemaphoreSlim _decodeSlots;
    private readonly IngestTelemetry? _telemetry;

    public ImageInspector(IOptions<MediaOptions> options, IngestTelemetry? telemetry = null)
    {
        _options = options.Value;
        _engine = ImagingEngine.For(_options.Library);
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
        if (ImageFormat.Detect(bytes) is not { } format)
        {
            return new Refusal(IngestProblems.ImageUnsupported, "The file does not start like a PNG, JPEG, WebP or GIF image.");
        }

        // PNG's fixed-place header is read here, before any decoder sees the file.
        if (format == ImageFormat.Png && PngHeaderSize(bytes) is { } declared && CheckDimensions(declared.Width, declared.Height) is { } tooLarge)
        {
            return tooLarge;
        }

        using var opened = _engine.Open(bytes, format);
        if (opened is null)
        {
            return new Refusal(IngestProblems.ImageCorrupt, $"The {format.Name} header could not be read.");
        }

        if (CheckDimensions(opened.Width, opened.Height) is { } tooWide)
        {
            return tooWide;
        }

        if (opened.Frames > _options.MaxFrames)
        {
            return new Refusal(IngestProblems.ImageTooManyFrames,
                $"The {format.Name} animation has {opened.Frames} frames; it may have at most {_options.MaxFrames}.");
        }

        // Before anything is stripped: what the upload says about its origin.
        var provenance = ImageProvenance.Read(bytes, format);
        var uploadSha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await _decodeSlots.WaitAsync(cancellationToken);
        _telemetry?.DecodesInProgress.Add(1);
        try
        {
            if (opened.Process() is not { } processed)
            {
                return new Refusal(IngestProblems.ImageCorrupt, $"The {format.Name} image could not be decoded; it may be truncated or damaged.");
            }

            var dihedral = PdqHasher.ComputeDihedral(processed.Bytes);
            return new InspectedImage(processed.Bytes, Convert.ToHexStringLower(SHA256.HashData(processed.Bytes)), uploadSha256,
                processed.Format.ContentType, processed.Width, processed.Height)
            {
                Thumbnail = processed.Thumbnail,
                Placeholder = Placeholder.Encode(processed.Preview),
                // The hash of the pixels as stored, so it equals what anyone computes from the served file.
                Pdq = dihedral[0],
                PdqDihedral = [.. dihedral.Select(d => d.Hash)],
                Frames = opened.Frames,
                Provenance = provenance,
            };
        }
        finally
        {
            _telemetry?.DecodesInProgress.Add(-1);
            _decodeSlots.Release();
        }
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
}
