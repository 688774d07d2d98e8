using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Text;
using SkiaSharp;

namespace AiSocial.Testing;

/// <summary>Uploads carrying what the media pipeline reads or strips: provenance metadata, C2PA boxes, GPS, animations.</summary>
public static class MediaTestImages
{
    public const string TrainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
    public const string DataMiningProhibited = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED";

    /// <summary>An XMP packet with the IPTC digital source type and the PLUS data-mining permission (either may be left out).</summary>
    public static string Xmp(string? digitalSourceType, string? dataMining) =>
        $"""
        <?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
        <x:xmpmeta xmlns:x="adobe:ns:meta/">
         <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description rdf:about=""
            xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
            xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
            {(digitalSourceType is null ? "" : $"Iptc4xmpExt:DigitalSourceType=\"{digitalSourceType}\"")}
            {(dataMining is null ? "" : $"plus:DataMining=\"{dataMining}\"")}/>
         </rdf:RDF>
        </x:xmpmeta>
        <?xpacket end="w"?>
        """;

    /// <summary>A PNG with an XMP packet in its iTXt chunk, as Photoshop and exiftool write it.</summary>
    public static byte[] PngWithXmp(byte[] png, string xmp) =>
        TestImages.WithPngChunk(png, "iTXt", [.. "XML:com.adobe.xmp\0"u8, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes(xmp)]);

    /// <summary>A JPEG with an XMP packet in an APP1 segment.</summary>
    public static byte[] JpegWithXmp(byte[] jpeg, string xmp) =>
        WithJpegSegment(jpeg, 0xE1, [.. "http://ns.adobe.com/xap/1.0/\0"u8, .. Encoding.UTF8.GetBytes(xmp)]);

    /// <summary>A JPEG whose XMP segment is broken XML: its metadata cannot be read, though its pixels can.</summary>
    public static byte[] JpegWithCorruptXmp(byte[] jpeg) =>
        WithJpegSegment(jpeg, 0xE1, [.. "http://ns.adobe.com/xap/1.0/\0"u8, .. "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF <<< not xml"u8]);

    /// <summary>A JPEG whose EXIF segment is not TIFF: its metadata cannot be read, though its pixels can.</summary>
    public static byte[] JpegWithCorruptExif(byte[] jpeg) =>
        WithJpegSegment(jpeg, 0xE1, [.. "Exif\0\0"u8, .. "XX\u0001\u0002garbage, not a TIFF header"u8]);

    /// <summary>
    /// A JPEG with a C2PA manifest store where the C2PA specification puts it: a JUMBF superbox in an APP11 segment
    /// (JPEG XT framing: "JP", box instance, packet sequence), whose description box has the c2pa type and label.
    /// </summary>
    public static byte[] JpegWithC2pa(byte[] jpeg) => WithJpegSegment(jpeg, 0xEB, [.. "JP"u8, 0, 1, 0, 0, 0, 1, .. ManifestStore()]);

    public static byte[] PngWithC2pa(byte[] png) => TestImages.WithPngChunk(png, "caBX", ManifestStore());

    /// <summary>A WebP in the extended format with a C2PA chunk after the image.</summary>
    public static byte[] WebpWithC2pa(byte[] webp, int width, int height) => ExtendedWebp(webp, width, height, ("C2PA", ManifestStore()));

    /// <summary>A JUMBF superbox ("jumb") holding only its description box ("jumd"): the c2pa type UUID and the label "c2pa".</summary>
    private static byte[] ManifestStore() => Superbox("c2pa", "c2pa");

    /// <summary>
    /// A C2PA manifest store whose one (active) manifest has a training-and-mining assertion under <paramref name="label"/>
    /// (<c>cawg.training-mining</c> or <c>c2pa.training-mining</c>) with these entries (purpose → use), as CBOR or JSON.
    /// </summary>
    public static byte[] TrainingMiningStore(string label, IReadOnlyDictionary<string, string> entries, bool cbor = true) =>
        TrainingMiningStore(label, cbor ? TrainingMiningCbor(entries) : Encoding.UTF8.GetBytes(TrainingMiningJson(entries)), cbor);

    /// <summary>A manifest store whose training-and-mining assertion holds these bytes as its CBOR (or JSON) content.</summary>
    public static byte[] TrainingMiningStore(string label, byte[] content, bool cbor) =>
        Superbox("c2pa", "c2pa",
            Superbox("c2ma", $"urn:uuid:{Guid.NewGuid()}",
                Superbox("c2as", "c2pa.assertions",
                    Superbox(cbor ? "cbor" : "json", label, Box(cbor ? "cbor" : "json", content)))));

    public static string TrainingMiningJson(IReadOnlyDictionary<string, string> entries) =>
        System.Text.Json.JsonSerializer.Serialize(new { entries = entries.ToDictionary(e => e.Key, e => new { use = e.Value }) });

    public static byte[] TrainingMiningCbor(IReadOnlyDictionary<string, string> entries)
    {
        var writer = new CborWriter();
        writer.WriteStartMap(1);
        writer.WriteTextString("entries");
        writer.WriteStartMap(entries.Count);
        foreach (var (purpose, use) in entries)
        {
            writer.WriteTextString(purpose);
            writer.WriteStartMap(1);
            writer.WriteTextString("use");
            writer.WriteTextString(use);
            writer.WriteEndMap();
        }

        writer.WriteEndMap();
        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>A JPEG carrying a manifest store in APP11 segments, split into parts of at most <paramref name="partSize"/> bytes as JPEG XT continues a box.</summary>
    public static byte[] JpegWithStore(byte[] jpeg, byte[] store, int partSize = 60000)
    {
        var segments = new List<byte>();
        uint sequence = 1;
        for (var at = 0; at < store.Length; at += partSize, sequence++)
        {
            byte[] header = [.. "JP"u8, 0, 1, (byte)(sequence >> 24), (byte)(sequence >> 16), (byte)(sequence >> 8), (byte)sequence];
            // Every part after the first repeats the box's header (size and type) before its bytes.
            byte[] payload = at == 0 ? [.. header, .. store.AsSpan(0, Math.Min(partSize, store.Length))]
                : [.. header, .. store.AsSpan(0, 8), .. store.AsSpan(at, Math.Min(partSize, store.Length - at))];
            segments.AddRange([0xFF, 0xEB, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload]);
        }

        return [.. jpeg[..2], .. segments, .. jpeg[2..]];
    }

    public static byte[] PngWithStore(byte[] png, byte[] store) => TestImages.WithPngChunk(png, "caBX", store);

    /// <summary>A JUMBF superbox: its description box (type: the UUID's first four characters, then C2PA's suffix; the label) and its boxes.</summary>
    private static byte[] Superbox(string type, string label, params byte[][] boxes)
    {
        byte[] description =
        [
            .. Encoding.ASCII.GetBytes(type), 0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71, // type UUID
            0x03, // toggles: requestable, label present
            .. Encoding.UTF8.GetBytes(label), 0,
        ];
        return Box("jumb", [.. Box("jumd", description), .. boxes.SelectMany(b => b)]);
    }

    private static byte[] Box(string type, byte[] content)
    {
        var box = new byte[8 + content.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        Encoding.ASCII.GetBytes(type, box.AsSpan(4));
        content.CopyTo(box, 8);
        return box;
    }

    /// <summary>A JPEG whose EXIF carries a GPS position (51°30′N) and whose file goes on after its end marker.</summary>
    public static byte[] JpegWithGpsAndTrailingBytes(byte[] jpeg, byte[] trailing)
    {
        byte[] tiff =
        [
            (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, // little-endian TIFF header, IFD0 at 8
            1, 0, // IFD0: one entry
            0x25, 0x88, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0, // tag 0x8825 GPSInfo, LONG, count 1, GPS IFD at 26
            0, 0, 0, 0, // no next IFD
            2, 0, // GPS IFD (offset 26): two entries
            0x01, 0x00, 2, 0, 2, 0, 0, 0, (byte)'N', 0, 0, 0, // GPSLatitudeRef, ASCII, "N"
            0x02, 0x00, 5, 0, 3, 0, 0, 0, 56, 0, 0, 0, // GPSLatitude, RATIONAL ×3 at 56
            0, 0, 0, 0, // no next IFD
            51, 0, 0, 0, 1, 0, 0, 0, 30, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, // 51/1, 30/1, 0/1
        ];
        return [.. WithJpegSegment(jpeg, 0xE1, [.. "Exif\0\0"u8, .. tiff]), .. trailing];
    }

    /// <summary>An animated GIF of 1×1 px with <paramref name="frames"/> frames.</summary>
    public static byte[] AnimatedGif(int frames)
    {
        var gif = new List<byte>();
        gif.AddRange("GIF89a"u8.ToArray());
        gif.AddRange([0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00]);
        gif.AddRange([0x21, 0xFF, 0x0B, .. "NETSCAPE2.0"u8, 0x03, 0x01, 0x00, 0x00, 0x00]); // loop forever
        for (var i = 0; i < frames; i++)
        {
            gif.AddRange([0x21, 0xF9, 0x04, 0x00, 0x0A, 0x00, 0x00, 0x00]); // 0.1 s a frame
            gif.AddRange([0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00]);
        }

        gif.Add(0x3B);
        return [.. gif];
    }

    /// <summary>An animated WebP of <paramref name="frames"/> frames, each a lossless 4×4 picture.</summary>
    public static byte[] AnimatedWebp(int frames)
    {
        using var bitmap = new SKBitmap(4, 4, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(SKColors.Orange);
        using var data = bitmap.PeekPixels().Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100));
        var frame = ImageChunk(data!.ToArray());
        var chunks = new List<(string, byte[])> { ("ANIM", [0, 0, 0, 0, 0, 0]) };
        for (var i = 0; i < frames; i++)
        {
            byte[] header = [0, 0, 0, 0, 0, 0, 3, 0, 0, 3, 0, 0, 100, 0, 0, 0]; // at 0,0; 4×4; 100 ms; no blending
            chunks.Add(("ANMF", [.. header, .. frame]));
        }

        return Riff(Vp8x(0x02, 4, 4), chunks);
    }

    private static byte[] ExtendedWebp(byte[] webp, int width, int height, params (string FourCc, byte[] Data)[] after) =>
        Riff(Vp8x(0x00, width, height), [("", ImageChunk(webp)), .. after]);

    /// <summary>The image chunk (VP8 or VP8L, with its header) of a simple-format WebP.</summary>
    private static byte[] ImageChunk(byte[] webp)
    {
        var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(16));
        return webp[12..(20 + size + (size & 1))];
    }

    private static byte[] Vp8x(byte flags, int width, int height)
    {
        var chunk = new byte[18];
        Encoding.ASCII.GetBytes("VP8X", chunk);
        chunk[4] = 10;
        chunk[8] = flags;
        // Canvas width − 1 and height − 1, 24 bits each, little-endian.
        chunk[12] = (byte)(width - 1);
        chunk[13] = (byte)((width - 1) >> 8);
        chunk[14] = (byte)((width - 1) >> 16);
        chunk[15] = (byte)(height - 1);
        chunk[16] = (byte)((height - 1) >> 8);
        chunk[17] = (byte)((height - 1) >> 16);
        return chunk;
    }

    /// <summary>A RIFF WEBP file of the given chunks; a chunk with an empty name is written as it is (already framed).</summary>
    private static byte[] Riff(byte[] vp8x, IEnumerable<(string FourCc, byte[] Data)> chunks)
    {
        var body = new List<byte>(vp8x);
        foreach (var (fourCc, data) in chunks)
        {
            if (fourCc.Length == 0)
            {
                body.AddRange(data);
                continue;
            }

            body.AddRange(Encoding.ASCII.GetBytes(fourCc));
            var size = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)data.Length);
            body.AddRange(size);
            body.AddRange(data);
            if (data.Length % 2 == 1)
            {
                body.Add(0);
            }
        }

        var riff = new byte[12 + body.Count];
        Encoding.ASCII.GetBytes("RIFF", riff);
        BinaryPrimitives.WriteUInt32LittleEndian(riff.AsSpan(4), (uint)(4 + body.Count));
        Encoding.ASCII.GetBytes("WEBP", riff.AsSpan(8));
        body.CopyTo(riff, 12);
        return riff;
    }

    /// <summary>How many frames a decoder finds in the file.</summary>
    public static int Frames(byte[] image)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(image)) ?? throw new InvalidDataException("Not an image.");
        return Math.Max(1, codec.FrameCount);
    }

    /// <summary>A JPEG with one more marker segment right after its start marker.</summary>
    private static byte[] WithJpegSegment(byte[] jpeg, byte marker, byte[] payload)
    {
        var length = payload.Length + 2;
        return [.. jpeg[..2], 0xFF, marker, (byte)(length >> 8), (byte)length, .. payload, .. jpeg[2..]];
    }
}
