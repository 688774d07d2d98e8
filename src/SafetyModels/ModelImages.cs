using SkiaSharp;

namespace AiSocial.SafetyModels;

/// <summary>How every model sees an image file: decoded once to 8-bit RGBA, unpremultiplied.</summary>
public static class ModelImages
{
    public static SKBitmap Decode(byte[] bytes)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(bytes)) ?? throw new InvalidDataException("The image cannot be decoded.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            bitmap.Dispose();
            throw new InvalidDataException($"The image cannot be decoded ({result}).");
        }

        return bitmap;
    }
}
