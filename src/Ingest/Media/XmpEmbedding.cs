using System.Buffers.Binary;
using System.Net;
using System.Security;
using System.Text;
using System.Text.RegularExpressions;

namespace AiSocial.Ingest.Media;

/// <summary>
/// Puts an XMP packet into an image's bytes where each format keeps it, replacing any XMP already there: PNG in an
/// <c>iTXt</c> chunk with keyword <c>XML:com.adobe.xmp</c> right after <c>IHDR</c>; JPEG in an APP1 segment named
/// <c>http://ns.adobe.com/xap/1.0/</c> after the start marker (and JFIF's APP0); WebP in an <c>XMP </c> chunk at the
/// end of an extended-format file, whose <c>VP8X</c> header gets the XMP flag (a simple-format file is made extended,
/// its canvas size read from the bitstream). The pixels' bytes are copied as they are.
/// </summary>
public static partial class XmpEmbedding
{
    public const string TrainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
    public const string DataMiningAllowed = "http://ns.useplus.org/ldf/vocab/DMI-ALLOWED";
    public const string DataMiningProhibitedAiTraining = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING";

    private static ReadOnlySpan<byte> JpegXmpName => "http://ns.adobe.com/xap/1.0/\0"u8;

    private static ReadOnlySpan<byte> JpegExtendedXmpName => "http://ns.adobe.com/xmp/extension/\0"u8;

    private static ReadOnlySpan<byte> PngXmpKeyword => "XML:com.adobe.xmp\0"u8;

    [GeneratedRegex("Iptc4xmpExt:DigitalSourceType=\"([^\"<>]{1,200})\"")]
    private static partial Regex StoredSourceType();

    [GeneratedRegex("xmp:CreatorTool=\"([^\"<>]{1,200})\"")]
    private static partial Regex StoredCreatorTool();

    /// <summary>
    /// The packet served with an image: its digital source type and creator tool as its own stored XMP says (a
    /// generated image records how it was made), else trainedAlgorithmicMedia; and the PLUS data-mining permission.
    /// </summary>
    public static string ServedPacket(byte[] stored, string dataMining)
    {
        // Only the platform writes XMP into stored files (uploads are stored without metadata), so its own attributes are all there is to find.
        var text = Encoding.UTF8.GetString(stored.AsSpan(0, Math.Min(stored.Length, 4096)));
        var sourceType = StoredSourceType().Match(text) is { Success: true } source ? WebUtility.HtmlDecode(source.Groups[1].Value) : null;
        var creatorTool = StoredCreatorTool().Match(text) is { Success: true } tool ? WebUtility.HtmlDecode(tool.Groups[1].Value) : null;
        return Packet(sourceType ?? TrainedAlgorithmicMedia, dataMining, creatorTool);
    }

    public static string Packet(string digitalSourceType, string? dataMining, string? creatorTool = null)
    {
        var properties = new List<string> { $"Iptc4xmpExt:DigitalSourceType=\"{SecurityElement.Escape(digitalSourceType)}\"" };
        if (dataMining is not null)
        {
            properties.Add($"plus:DataMining=\"{SecurityElement.Escape(dataMining)}\"");
        }

        if (creatorTool is not null)
        {
            properties.Add($"xmp:CreatorTool=\"{SecurityElement.Escape(creatorTool)}\"");
        }

        return $"""
            <?xpacket begin="{'\uFEFF'}" id="W5M0MpCehiHzreSzNTczkc9d"?>
            <x:xmpmeta xmlns:x="adobe:ns:meta/">
             <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
              <rdf:Description rdf:about=""
                xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
                xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
                xmlns:xmp="http://ns.adobe.com/xap/1.0/"
                {string.Join("\n    ", properties)}/>
             </rdf:RDF>
            </x:xmpmeta>
            <?xpacket end="r"?>
            """;
    }

    /// <summary>The image with <paramref name="packet"/> as its only XMP; unchanged when it is not a PNG, JPEG or WebP it can walk.</summary>
    public static byte[] Replace(byte[] image, string packet)
    {
        var xmp = Encoding.UTF8.GetBytes(packet);
        return ImageFormat.Detect(image) switch
        {
            var f when f == ImageFormat.Png => Png(image, xmp),
            var f when f == ImageFormat.Jpeg => Jpeg(image, xmp),
            var f when f == ImageFormat.Webp => Webp(image, xmp),
            _ => image,
        };
    }

    private static byte[] Png(byte[] png, byte[] xmp)
    {
        const int afterHeader = 8 + 25; // signature, then IHDR: length, type, 13 bytes, CRC
        if (png.Length < afterHeader || !png.AsSpan(12, 4).SequenceEqual("IHDR"u8))
        {
            return png;
        }

        using var output = new MemoryStream(png.Length + xmp.Length + 64);
        output.Write(png.AsSpan(0, afterHeader));
        output.Write(PngChunk("iTXt"u8, [.. PngXmpKeyword, 0, 0, 0, 0, .. xmp])); // not compressed, no language, no translated keyword
        var at = afterHeader;
        while (at + 12 <= png.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            if (length > png.Length - at - 12)
            {
                return png;
            }

            var chunk = png.AsSpan(at, 12 + (int)length);
            var isXmp = chunk[4..8].SequenceEqual("iTXt"u8) && chunk[8..^4].StartsWith(PngXmpKeyword);
            if (!isXmp)
            {
                output.Write(chunk);
            }

            at += chunk.Length;
        }

        output.Write(png.AsSpan(at));
        return output.ToArray();
    }

    internal static byte[] PngChunk(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        type.CopyTo(chunk.AsSpan(4));
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    private static byte[] Jpeg(byte[] jpeg, byte[] xmp)
    {
        if (xmp.Length + JpegXmpName.Length + 2 > ushort.MaxValue)
        {
            return jpeg;
        }

        var segments = new List<(int Start, int Length)>();
        var at = 2;
        while (at + 4 <= jpeg.Length && jpeg[at] == 0xFF)
        {
            var marker = jpeg[at + 1];
            if (marker is 0xDA or 0xD9 || marker is >= 0xD0 and <= 0xD7 or 0x01 or 0xFF)
            {
                break; // the entropy-coded data (or something this walk does not know) begins
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(at + 2));
            if (length < 2 || at + 2 + length > jpeg.Length)
            {
                return jpeg;
            }

            segments.Add((at, 2 + length));
            at += 2 + length;
        }

        using var output = new MemoryStream(jpeg.Length + xmp.Length + 64);
        output.Write(jpeg.AsSpan(0, 2));
        var placed = false;
        foreach (var (start, length) in segments)
        {
            var segment = jpeg.AsSpan(start, length);
            var payload = segment[4..];
            if (segment[1] == 0xE1 && (payload.StartsWith(JpegXmpName) || payload.StartsWith(JpegExtendedXmpName)))
            {
                continue;
            }

            // JFIF wants its APP0 first; the XMP goes right after it, or first of all when there is none.
            if (!placed && segment[1] != 0xE0)
            {
                WriteJpegXmp(output, xmp);
                placed = true;
            }

            output.Write(segment);
        }

        if (!placed)
        {
            WriteJpegXmp(output, xmp);
        }

        output.Write(jpeg.AsSpan(at));
        return output.ToArray();
    }

    private static void WriteJpegXmp(Stream output, byte[] xmp)
    {
        var length = 2 + JpegXmpName.Length + xmp.Length;
        output.Write([0xFF, 0xE1, (byte)(length >> 8), (byte)length]);
        output.Write(JpegXmpName);
        output.Write(xmp);
    }

    private static byte[] Webp(byte[] webp, byte[] xmp)
    {
        var chunks = new List<(string FourCc, int Start, int Length)>();
        var at = 12;
        while (at + 8 <= webp.Length)
        {
            var size = BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(at + 4));
            if (size > webp.Length - at - 8)
            {
                return webp;
            }

            var padded = 8 + (int)size + (int)(size & 1);
            chunks.Add((Encoding.ASCII.GetString(webp, at, 4), at, Math.Min(padded, webp.Length - at)));
            at += padded;
        }

        if (chunks.Count == 0)
        {
            return webp;
        }

        byte[] header;
        var first = chunks[0];
        if (first.FourCc == "VP8X")
        {
            header = webp.AsSpan(first.Start, first.Length).ToArray();
            header[8] |= 0x04; // XMP metadata present
            chunks.RemoveAt(0);
        }
        else if (CanvasSize(webp.AsSpan(first.Start + 8, first.Length - 8), first.FourCc) is { } canvas)
        {
            header = new byte[18];
            "VP8X"u8.CopyTo(header);
            header[4] = 10;
            header[8] = (byte)(0x04 | (canvas.Alpha ? 0x10 : 0));
            WriteUInt24(header.AsSpan(12), canvas.Width - 1);
            WriteUInt24(header.AsSpan(15), canvas.Height - 1);
        }
        else
        {
            return webp;
        }

        using var body = new MemoryStream(webp.Length + xmp.Length + 64);
        body.Write(header);
        foreach (var (fourCc, start, length) in chunks)
        {
            if (fourCc != "XMP ")
            {
                body.Write(webp.AsSpan(start, length));
            }
        }

        body.Write("XMP "u8);
        Span<byte> xmpSize = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(xmpSize, (uint)xmp.Length);
        body.Write(xmpSize);
        body.Write(xmp);
        if (xmp.Length % 2 == 1)
        {
            body.WriteByte(0);
        }

        var riff = new byte[12 + body.Length];
        "RIFF"u8.CopyTo(riff);
        BinaryPrimitives.WriteUInt32LittleEndian(riff.AsSpan(4), (uint)(4 + body.Length));
        "WEBP"u8.CopyTo(riff.AsSpan(8));
        body.ToArray().CopyTo(riff, 12);
        return riff;
    }

    /// <summary>The canvas of a simple-format WebP from its bitstream's header: lossy (VP8) or lossless (VP8L, which says whether it has alpha).</summary>
    private static (int Width, int Height, bool Alpha)? CanvasSize(ReadOnlySpan<byte> data, string fourCc)
    {
        if (fourCc == "VP8 " && data.Length >= 10 && data[3] == 0x9D && data[4] == 0x01 && data[5] == 0x2A)
        {
            return (BinaryPrimitives.ReadUInt16LittleEndian(data[6..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(data[8..]) & 0x3FFF, false);
        }

        if (fourCc == "VP8L" && data.Length >= 5 && data[0] == 0x2F)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[1..]);
            return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1, ((bits >> 28) & 1) == 1);
        }

        return null;
    }

    private static void WriteUInt24(Span<byte> bytes, int value)
    {
        bytes[0] = (byte)value;
        bytes[1] = (byte)(value >> 8);
        bytes[2] = (byte)(value >> 16);
    }

    private static readonly uint[] CrcTable = [.. Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }

        return c;
    })];

    /// <summary>The CRC-32 the PNG specification gives for chunk type and data.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var c = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        }

        return c ^ 0xFFFFFFFF;
    }
}
