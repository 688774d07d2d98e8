using AiSocial.Ingest.Media;
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
    public const string TrainedAlgorithmicMedia = XmpEmbedding.TrainedAlgorithmicMedia;
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

    private static string Xmp(string digitalSourceType, string creatorTool) => XmpEmbedding.Packet(digitalSourceType, null, creatorTool);

    /// <summary>The PNG with an uncompressed <c>iTXt</c> chunk holding the XMP packet, placed right after <c>IHDR</c>.</summary>
    internal static byte[] WithXmp(byte[] png, string xmp) => XmpEmbedding.Replace(png, xmp);
}
