using System.Buffers.Binary;
using SkiaSharp;

namespace AiSocial.SafetyModels.Nsfw;

/// <summary>
/// The image file tools/models/nsfwjs-reference.cjs reads (its --pixels and --bench jobs): per image int32 height,
/// int32 width, then the RGB bytes, alpha dropped as tf.browser.fromPixels does. Used to run nsfwjs itself on exactly
/// the pixels the classifier sees, for parity tests and the benchmark.
/// </summary>
public static class NsfwjsPixels
{
    public static void Write(Stream stream, SKBitmap bitmap)
    {
        if (bitmap.ColorType != SKColorType.Rgba8888)
        {
            throw new ArgumentException("Expected an Rgba8888 bitmap.", nameof(bitmap));
        }

        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(header, bitmap.Height);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], bitmap.Width);
        stream.Write(header);
        var pixels = bitmap.GetPixelSpan();
        var row = new byte[bitmap.Width * 3];
        for (var y = 0; y < bitmap.Height; y++)
        {
            var source = pixels.Slice(y * bitmap.RowBytes, bitmap.Width * 4);
            for (var x = 0; x < bitmap.Width; x++)
            {
                row[x * 3] = source[x * 4];
                row[(x * 3) + 1] = source[(x * 4) + 1];
                row[(x * 3) + 2] = source[(x * 4) + 2];
            }

            stream.Write(row);
        }
    }
}
