using System.Numerics;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace AiSocial.SafetyModels.Ocr;

/// <summary>Opaque 8-bit RGBA pixels, row by row.</summary>
internal readonly ref struct RgbaView(ReadOnlySpan<byte> pixels, int width, int height, int rowBytes)
{
    public ReadOnlySpan<byte> Pixels { get; } = pixels;

    public int Width { get; } = width;

    public int Height { get; } = height;

    public int RowBytes { get; } = rowBytes;
}

/// <summary>
/// The pixels OCR reads: the caller's bitmap as it is when it is already opaque RGBA, otherwise a converted copy whose
/// transparent parts are laid on a background that contrasts with what is visible (dark text on a transparent
/// background must not vanish into black).
/// </summary>
internal sealed class OcrImage : IDisposable
{
    private readonly SKBitmap _bitmap;
    private readonly bool _owned;

    private OcrImage(SKBitmap bitmap, bool owned)
    {
        _bitmap = bitmap;
        _owned = owned;
    }

    public RgbaView View => new(_bitmap.GetPixelSpan(), _bitmap.Width, _bitmap.Height, _bitmap.RowBytes);

    public static OcrImage From(SKBitmap image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width <= 0 || image.Height <= 0 || image.GetPixels() == IntPtr.Zero)
        {
            throw new ArgumentException("The image has no pixels.", nameof(image));
        }

        if (image.ColorType == SKColorType.Rgba8888 && (image.AlphaType == SKAlphaType.Opaque || IsOpaque(image)))
        {
            return new OcrImage(image, owned: false);
        }

        var copy = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using var source = image.PeekPixels();
        if (source is null || !source.ReadPixels(copy.Info, copy.GetPixels(), copy.RowBytes))
        {
            copy.Dispose();
            throw new ArgumentException($"Images of colour type {image.ColorType} cannot be read.", nameof(image));
        }

        Flatten(copy);
        return new OcrImage(copy, owned: true);
    }

    public void Dispose()
    {
        if (_owned)
        {
            _bitmap.Dispose();
        }
    }

    private static bool IsOpaque(SKBitmap image)
    {
        for (var y = 0; y < image.Height; y++)
        {
            var row = MemoryMarshal.Cast<byte, uint>(image.GetPixelSpan().Slice(y * image.RowBytes, image.Width * 4));
            var alpha = BitConverter.IsLittleEndian ? 0xFF000000u : 0x000000FFu;
            var i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var mask = new Vector<uint>(alpha);
                for (; i <= row.Length - Vector<uint>.Count; i += Vector<uint>.Count)
                {
                    if (!Vector.EqualsAll(new Vector<uint>(row[i..]) & mask, mask))
                    {
                        return false;
                    }
                }
            }

            for (; i < row.Length; i++)
            {
                if ((row[i] & alpha) != alpha)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static void Flatten(SKBitmap bitmap)
    {
        var pixels = bitmap.GetPixelSpan();
        double weighted = 0, weight = 0;
        for (var y = 0; y < bitmap.Height; y++)
        {
            var row = pixels.Slice(y * bitmap.RowBytes, bitmap.Width * 4);
            for (var i = 0; i < row.Length; i += 4)
            {
                var a = row[i + 3];
                weighted += a * ((0.299 * row[i]) + (0.587 * row[i + 1]) + (0.114 * row[i + 2]));
                weight += a;
            }
        }

        var background = weight > 0 && weighted / weight > 127.5 ? 0 : 255;
        for (var y = 0; y < bitmap.Height; y++)
        {
            var row = pixels.Slice(y * bitmap.RowBytes, bitmap.Width * 4);
            for (var i = 0; i < row.Length; i += 4)
            {
                int a = row[i + 3];
                if (a == 255)
                {
                    continue;
                }

                for (var c = 0; c < 3; c++)
                {
                    row[i + c] = (byte)(((row[i + c] * a) + (background * (255 - a)) + 127) / 255);
                }

                row[i + 3] = 255;
            }
        }
    }
}
