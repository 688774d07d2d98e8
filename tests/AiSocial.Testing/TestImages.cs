using System.Buffers.Binary;
using SkiaSharp;

namespace AiSocial.Testing;

/// <summary>Images for tests, made on the fly: real encodings, damaged ones and ones that lie in their headers.</summary>
public static class TestImages
{
    public static byte[] Png(int width = 64, int height = 48, int seed = 1) => Encode(width, height, seed, SKEncodedImageFormat.Png);

    public static byte[] Jpeg(int width = 64, int height = 48, int seed = 1) => Encode(width, height, seed, SKEncodedImageFormat.Jpeg);

    public static byte[] Webp(int width = 64, int height = 48, int seed = 1) => Encode(width, height, seed, SKEncodedImageFormat.Webp);

    public static byte[] Text => "This is a text file, not an image.\n"u8.ToArray();

    /// <summary>A PNG with one line of dark text on a light background, in a DejaVu font (what OCR must read).</summary>
    public static byte[] WithText(string text, int width = 720, int height = 160, float size = 44)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(250, 240, 200));
            using var typeface = SKTypeface.FromFile("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf");
            using var font = new SKFont(typeface, size);
            using var ink = new SKPaint { Color = new SKColor(30, 30, 90), IsAntialias = true };
            canvas.DrawText(text, 24, (height + size) / 2 - 6, SKTextAlign.Left, font, ink);
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The first part of an encoded image, as an interrupted upload leaves it.</summary>
    public static byte[] Truncated(byte[] image, double keep = 0.6) => image[..(int)(image.Length * keep)];

    /// <summary>A PNG whose header (with a valid checksum) claims the given size, followed by no pixel data at all.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        var png = new List<byte>([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 6; // RGBA
        AddChunk(png, "IHDR", ihdr);
        AddChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A real PNG whose IHDR (with its checksum fixed up) now claims another size; the pixel data is unchanged.</summary>
    public static byte[] WithPngSize(byte[] png, int width, int height)
    {
        var edited = (byte[])png.Clone();
        BinaryPrimitives.WriteInt32BigEndian(edited.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(edited.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(edited.AsSpan(29), Crc32(edited[12..29]));
        return edited;
    }

    private static byte[] Encode(int width, int height, int seed, SKEncodedImageFormat format)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            using var paint = new SKPaint { IsAntialias = true };
            for (var i = 0; i < 6; i++)
            {
                paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                canvas.DrawCircle(random.Next(width), random.Next(height), random.Next(2, Math.Max(3, width / 3)), paint);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    private static void AddChunk(List<byte> png, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        png.AddRange(header);
        png.AddRange(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. header[4..], .. data]));
        png.AddRange(crc);
    }

    // CRC-32 as PNG defines it (ISO 3309, polynomial 0xEDB88320).
    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
