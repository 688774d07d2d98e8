using System.Buffers.Binary;
using System.Security;
using System.Text;
using SkiaSharp;

namespace AiSocial.Ingest.Generations;

/// <summary>A generated picture as it is stored: a PNG whose XMP says how it was made.</summary>
internal sealed record StoredPicture(byte[] Png, int Width, int Height);

/// <summary>
/// Turns whatever a generator sent into the PNG that is stored: decoded and encoded afresh (so nothing the provider
/// put in the file survives), with an XMP packet in an <c>iTXt</c> chunk (keyword <c>XML:com.adobe.xmp</c>) whose
/// <c>Iptc4xmpExt:DigitalSourceType</c> says it was made by a trained model or, for the offline renderer, by a plain
/// algorithm.
/// </summary>
internal static class GeneratedImages
{
    public const string TrainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
    public const string AlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia";

    private const int MaxSide = 4096;

    /// <summary>The stored PNG, or null when the bytes are not an image of a sensible size.</summary>
    public static StoredPicture? Encode(byte[] picture, string digitalSourceType, string creatorTool)
    {
        using var codec = SKCodec.Create(new MemoryStream(picture, writable: false));
        if (codec is null || codec.Info.Width is <= 0 or > MaxSide || codec.Info.Height is <= 0 or > MaxSide)
        {
            return null;
        }

        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888,
            codec.Info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul, SKColorSpace.CreateSrgb());
        using var bitmap = new SKBitmap(info);
        if (codec.GetPixels(info, bitmap.GetPixels()) is not SKCodecResult.Success)
        {
            return null;
        }

        using var pixels = bitmap.PeekPixels();
        using var png = pixels.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, zLibLevel: 6));
        return png is null ? null : new StoredPicture(WithXmp(png.ToArray(), Xmp(digitalSourceType, creatorTool)), info.Width, info.Height);
    }

    private static string Xmp(string digitalSourceType, string creatorTool) =>
        $"""
         <?xpacket begin="{'\uFEFF'}" id="W5M0MpCehiHzreSzNTczkc9d"?>
         <x:xmpmeta xmlns:x="adobe:ns:meta/">
          <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
           <rdf:Description rdf:about=""
             xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
             xmlns:xmp="http://ns.adobe.com/xap/1.0/"
             Iptc4xmpExt:DigitalSourceType="{SecurityElement.Escape(digitalSourceType)}"
             xmp:CreatorTool="{SecurityElement.Escape(creatorTool)}"/>
          </rdf:RDF>
         </x:xmpmeta>
         <?xpacket end="r"?>
         """;

    /// <summary>The PNG with an uncompressed <c>iTXt</c> chunk holding the XMP packet, placed right after <c>IHDR</c>.</summary>
    internal static byte[] WithXmp(byte[] png, string xmp)
    {
        // Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC).
        const int afterHeader = 8 + 25;
        var data = new List<byte>();
        data.AddRange("XML:com.adobe.xmp"u8.ToArray());
        data.AddRange([0, 0, 0, 0, 0]); // keyword end, not compressed, method 0, empty language tag, empty translated keyword
        data.AddRange(Encoding.UTF8.GetBytes(xmp));

        var chunk = new byte[12 + data.Count];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Count);
        "iTXt"u8.CopyTo(chunk.AsSpan(4));
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Count), Crc32(chunk.AsSpan(4, 4 + data.Count)));
        return [.. png.AsSpan(0, afterHeader), .. chunk, .. png.AsSpan(afterHeader)];
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
