using System.Buffers.Binary;
using SkiaSharp;

namespace AiSocial.Testing;

/// <summary>Images for tests, made on the fly: real encodings, damaged ones and ones that lie in their headers.</summary>
public static class TestImages
{
    public static byte[] Png(int width = 64, int height = 48, int seed = 1) => Encode(width, height, seed, SKEncodedImageFormat.Png);

    public static byte[] Jpeg(int width = 64, int height = 48, int seed = 1) => Encode(width, height, seed, SKEncodedImageFormat.Jpeg);

    public static byte[] Webp(int width = 64, int height = 48, int seed = 1) => Encode(width, height, seed, SKEncodedImageFormat.Webp);

    /// <summary>
    /// A PNG no safety model objects to, different on every call: a landscape of sky over grass with a row of small
    /// dots along the horizon spelling a random number. For tests that need a post the shipped policy publishes;
    /// random shapes (<see cref="Png"/>) look like something to the NSFW model about once in a hundred images.
    /// </summary>
    public static byte[] Unique(int width = 64, int height = 48)
    {
        var code = Random.Shared.Next();
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            var horizon = height * 2 / 3;
            using var paint = new SKPaint();
            paint.Color = new SKColor(120, 180, 235);
            canvas.DrawRect(0, 0, width, horizon, paint);
            paint.Color = new SKColor(70, 150, 60);
            canvas.DrawRect(0, horizon, width, height - horizon, paint);
            for (var bit = 0; bit < 31; bit++)
            {
                paint.Color = (code >> bit & 1) == 1 ? new SKColor(250, 250, 250) : new SKColor(40, 90, 40);
                canvas.DrawRect(bit * 2 % width, horizon + 1 + bit * 2 / width * 2, 1, 1, paint);
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

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

    /// <summary>A PNG of <paramref name="image"/> turned a quarter clockwise <paramref name="quarterTurns"/> times, then mirrored left to right if asked.</summary>
    public static byte[] Turned(byte[] image, int quarterTurns, bool mirrored = false)
    {
        using var source = SKBitmap.Decode(image);
        var sideways = quarterTurns % 2 == 1;
        using var turned = new SKBitmap(sideways ? source.Height : source.Width, sideways ? source.Width : source.Height);
        using (var canvas = new SKCanvas(turned))
        {
            canvas.Translate(turned.Width / 2f, turned.Height / 2f);
            if (mirrored)
            {
                canvas.Scale(-1, 1);
            }

            canvas.RotateDegrees(90 * quarterTurns);
            using var picture = SKImage.FromBitmap(source);
            canvas.DrawImage(picture, -source.Width / 2f, -source.Height / 2f, new SKSamplingOptions(SKFilterMode.Nearest));
        }

        using var data = turned.Encode(SKEncodedImageFormat.Png, 100);
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

    /// <summary>A one-pixel GIF89a (white, from a two-colour palette), the smallest animation-capable file there is.</summary>
    public static byte[] Gif =>
    [
        .. "GIF89a"u8, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00,
        0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ];

    /// <summary>The image's pixels as 8-bit RGBA, unpremultiplied, in sRGB: what two encodings of one picture share.</summary>
    public static (int Width, int Height, byte[] Rgba) Pixels(byte[] image)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(image)) ?? throw new InvalidDataException("Not an image.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul, SKColorSpace.CreateSrgb());
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        return result == SKCodecResult.Success ? (info.Width, info.Height, bitmap.Bytes) : throw new InvalidDataException($"Cannot decode: {result}.");
    }

    /// <summary>The largest difference of any channel of any pixel between two same-sized images.</summary>
    public static int MaxChannelDifference(byte[] first, byte[] second)
    {
        var (a, b) = (Pixels(first), Pixels(second));
        if ((a.Width, a.Height) != (b.Width, b.Height))
        {
            throw new InvalidDataException($"{a.Width}×{a.Height} and {b.Width}×{b.Height} cannot be compared.");
        }

        return a.Rgba.Zip(b.Rgba, (x, y) => Math.Abs(x - y)).Max();
    }

    /// <summary>A PNG with an extra chunk (such as <c>tEXt</c>) inserted before its end.</summary>
    public static byte[] WithPngChunk(byte[] png, string type, byte[] data)
    {
        var chunk = new List<byte>();
        AddChunk(chunk, type, data);
        var end = png.Length - 12; // IEND is the last 12 bytes
        return [.. png[..end], .. chunk, .. png[end..]];
    }

    /// <summary>A JPEG carrying an EXIF block whose only entry is the orientation tag (1–8), inserted after the start marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        byte[] tiff =
        [
            (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, // little-endian TIFF header, first IFD at offset 8
            1, 0, // one entry
            0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, 0, 0, 0, // tag 0x0112 Orientation, SHORT, count 1, value
            0, 0, 0, 0, // no next IFD
        ];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        var length = payload.Length + 2;
        return [.. jpeg[..2], 0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload, .. jpeg[2..]];
    }

    /// <summary>An image with one colour per quadrant (red, green / blue, white), so a rotation or flip shows.</summary>
    public static byte[] Quadrants(int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var paint = new SKPaint();
            (SKColor Colour, int X, int Y)[] quadrants = [(SKColors.Red, 0, 0), (SKColors.Lime, 1, 0), (SKColors.Blue, 0, 1), (SKColors.White, 1, 1)];
            foreach (var (colour, x, y) in quadrants)
            {
                paint.Color = colour;
                canvas.DrawRect(x * width / 2f, y * height / 2f, width / 2f, height / 2f, paint);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        return data.ToArray();
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
