using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using MetadataExtractor;
using MetadataExtractor.Formats.Xmp;

namespace AiSocial.Ingest.Media;

/// <summary>
/// What an upload says about where it came from, read before re-encoding strips it: the IPTC digital source type
/// (e.g. <c>…/digitalsourcetype/trainedAlgorithmicMedia</c>), the PLUS data-mining permission, whether a C2PA
/// manifest store is embedded (it is not verified), and the C2PA/CAWG training-and-mining assertion of its active
/// manifest (<see cref="TrainingMining"/>: purpose → <c>allowed</c>, <c>notAllowed</c> or <c>constrained</c>).
/// Metadata that cannot be parsed, an unreadable training-mining assertion included, is recorded as unreadable, with
/// why; the upload is not refused for it.
/// </summary>
public sealed record ImageProvenance(bool MetadataReadable, string? DigitalSourceType, string? DataMining, bool C2paManifest, string? Problem = null,
    IReadOnlyDictionary<string, string>? TrainingMining = null)
{
    public const string IptcExtensionNamespace = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
    public const string PlusNamespace = "http://ns.useplus.org/ldf/xmp/1.0/";

    /// <summary>Values longer than this are cut: they are identifiers (URIs), never prose.</summary>
    private const int MaxValueLength = 200;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// The form stored in <c>posts.provenance</c>: <c>{"metadata": "readable"|"unreadable", "digitalSourceType"?,
    /// "dataMining"?, "c2pa": bool, "trainingMining"?: {"cawg.ai_training": "allowed"|"notAllowed"|"constrained", ...}, "problem"?}</c>.
    /// </summary>
    public string ToJson() => JsonSerializer.Serialize(
        new Stored(MetadataReadable ? "readable" : "unreadable", DigitalSourceType, DataMining, C2paManifest,
            TrainingMining is null ? null : new SortedDictionary<string, string>(TrainingMining.ToDictionary(), StringComparer.Ordinal), Problem), Json);

    public static ImageProvenance FromJson(string json)
    {
        var stored = JsonSerializer.Deserialize<Stored>(json, Json) ?? throw new JsonException("Empty provenance.");
        return new ImageProvenance(stored.Metadata == "readable", stored.DigitalSourceType, stored.DataMining, stored.C2pa, stored.Problem,
            stored.TrainingMining);
    }

    public bool Equals(ImageProvenance? other) =>
        other is not null && MetadataReadable == other.MetadataReadable && DigitalSourceType == other.DigitalSourceType && DataMining == other.DataMining
        && C2paManifest == other.C2paManifest && Problem == other.Problem
        && (TrainingMining is null ? other.TrainingMining is null
            : other.TrainingMining is not null && TrainingMining.Count == other.TrainingMining.Count
              && TrainingMining.All(e => other.TrainingMining.TryGetValue(e.Key, out var use) && use == e.Value));

    public override int GetHashCode() => HashCode.Combine(MetadataReadable, DigitalSourceType, DataMining, C2paManifest, Problem, TrainingMining?.Count);

    private sealed record Stored(string Metadata, string? DigitalSourceType, string? DataMining, bool C2pa,
        SortedDictionary<string, string>? TrainingMining, string? Problem);

    internal static ImageProvenance Read(byte[] bytes, ImageFormat format)
    {
        var c2pa = HasC2paManifest(bytes, format);
        var trainingMining = c2pa ? C2paTrainingMining.Read(bytes, format) : default;
        IReadOnlyList<MetadataExtractor.Directory> directories;
        try
        {
            directories = ImageMetadataReader.ReadMetadata(new MemoryStream(bytes, writable: false));
        }
        // Metadata is parsed from untrusted bytes: whatever the parser trips on makes the metadata unreadable, never the upload refused.
        catch (Exception exception) when (exception is not (OutOfMemoryException or OperationCanceledException))
        {
            return new ImageProvenance(false, null, null, c2pa, Cut(exception.Message), trainingMining.Entries);
        }

        string? sourceType = null, dataMining = null;
        // The digital source type is an IPTC Extension property, which exists only in XMP (the older IIM has no dataset for it).
        foreach (var xmp in directories.OfType<XmpDirectory>())
        {
            if (xmp.XmpMeta is not { } meta)
            {
                continue;
            }

            try
            {
                sourceType ??= Cut(meta.GetPropertyString(IptcExtensionNamespace, "DigitalSourceType"));
                dataMining ??= Cut(meta.GetPropertyString(PlusNamespace, "DataMining"));
            }
            catch (XmpCore.XmpException exception)
            {
                xmp.AddError($"XMP: {exception.Message}");
            }
        }

        var problem = trainingMining.Problem
            ?? directories.Where(d => d.HasError).Select(d => $"{d.Name}: {string.Join("; ", d.Errors)}").FirstOrDefault();
        return new ImageProvenance(problem is null, sourceType, dataMining, c2pa, Cut(problem), trainingMining.Entries);
    }

    private static string? Cut(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : value.Trim() is { Length: > MaxValueLength } longer ? longer[..MaxValueLength] : value.Trim();

    /// <summary>
    /// Whether a C2PA manifest store is embedded where the C2PA specification puts it: a JUMBF box labelled <c>c2pa</c>
    /// in JPEG APP11 segments, a <c>caBX</c> chunk in PNG, a <c>C2PA</c> chunk in WebP.
    /// </summary>
    internal static bool HasC2paManifest(ReadOnlySpan<byte> bytes, ImageFormat format) =>
        format == ImageFormat.Jpeg ? JpegHasC2pa(bytes)
        : format == ImageFormat.Png ? PngHasChunk(bytes, "caBX"u8)
        : format == ImageFormat.Webp && RiffHasChunk(bytes, "C2PA"u8);

    private static bool JpegHasC2pa(ReadOnlySpan<byte> jpeg)
    {
        var at = 2;
        while (at + 4 <= jpeg.Length && jpeg[at] == 0xFF)
        {
            var marker = jpeg[at + 1];
            if (marker == 0xFF)
            {
                at++; // fill byte
                continue;
            }

            if (marker is 0xD8 or 0x01 or >= 0xD0 and <= 0xD7)
            {
                at += 2;
                continue;
            }

            if (marker is 0xDA or 0xD9)
            {
                return false; // the entropy-coded data begins: no metadata segment follows
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(at + 2)..]);
            if (length < 2 || at + 2 + length > jpeg.Length)
            {
                return false;
            }

            // APP11: "JP", box instance (2), packet sequence (4), then the JUMBF superbox: size, "jumb", and its
            // description box: size, "jumd", a type UUID that begins with "c2pa" for a manifest store, toggles, label.
            var segment = jpeg.Slice(at + 4, length - 2);
            if (marker == 0xEB && segment.Length >= 28 && segment.StartsWith("JP"u8) && segment[12..16].SequenceEqual("jumb"u8)
                && segment[20..24].SequenceEqual("jumd"u8) && segment[24..28].SequenceEqual("c2pa"u8))
            {
                return true;
            }

            at += 2 + length;
        }

        return false;
    }

    private static bool PngHasChunk(ReadOnlySpan<byte> png, ReadOnlySpan<byte> type)
    {
        long at = 8;
        while (at + 12 <= png.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[(int)at..]);
            var chunk = png.Slice((int)at + 4, 4);
            if (chunk.SequenceEqual(type))
            {
                return true;
            }

            if (chunk.SequenceEqual("IEND"u8))
            {
                return false;
            }

            at += 12L + length;
        }

        return false;
    }

    private static bool RiffHasChunk(ReadOnlySpan<byte> riff, ReadOnlySpan<byte> fourCc)
    {
        long at = 12;
        while (at + 8 <= riff.Length)
        {
            if (riff.Slice((int)at, 4).SequenceEqual(fourCc))
            {
                return true;
            }

            var size = BinaryPrimitives.ReadUInt32LittleEndian(riff[((int)at + 4)..]);
            at += 8L + size + (size & 1);
        }

        return false;
    }
}
