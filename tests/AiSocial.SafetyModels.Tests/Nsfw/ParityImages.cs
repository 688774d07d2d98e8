using SkiaSharp;

namespace AiSocial.SafetyModels.Tests.Nsfw;

/// <summary>
/// Varied encoded images for the nsfwjs parity test: gradients, noise, shapes, text, photos-like blur, flat colours;
/// 1 × 1 up to 1024 × 1024, square and very long; exactly 224 × 224 (no resize), 224 on one side only, exactly
/// twice; with alpha (partial and none at all, over coloured pixels); PNG, JPEG and WebP.
/// </summary>
public static class ParityImages
{
    public sealed record Image(string Name, byte[] Encoded);

    public static IReadOnlyList<Image> All() =>
    [
        Drawn("linear gradient 224x224", 224, 224, SKEncodedImageFormat.Png, LinearGradient),
        Pixels("noise 224x224", 224, 224, SKEncodedImageFormat.Png, Noise(1)),
        Pixels("one pixel 1x1", 1, 1, SKEncodedImageFormat.Png, Noise(2)),
        Pixels("tiny 3x2", 3, 2, SKEncodedImageFormat.Png, Noise(3)),
        Pixels("noise jpeg 1024x1024", 1024, 1024, SKEncodedImageFormat.Jpeg, Noise(5)),
        Drawn("shapes 1024x768", 1024, 768, SKEncodedImageFormat.Png, Shapes),
        Drawn("stripes tall 37x500", 37, 500, SKEncodedImageFormat.Png, Stripes),
        Drawn("gradient wide 800x60", 800, 60, SKEncodedImageFormat.Png, LinearGradient),
        Drawn("text 640x480", 640, 480, SKEncodedImageFormat.Png, Text),
        Pixels("alpha gradient 300x300", 300, 300, SKEncodedImageFormat.Png, AlphaGradient(300, 300)),
        Pixels("transparent over colour 128x128", 128, 128, SKEncodedImageFormat.Png, TransparentColour),
        Drawn("blurred blobs jpeg 512x384", 512, 384, SKEncodedImageFormat.Jpeg, Blobs),
        Pixels("checkerboard 225x223", 225, 223, SKEncodedImageFormat.Png, Checkerboard),
        Drawn("skin tones 400x600", 400, 600, SKEncodedImageFormat.Png, SkinTones),
        Drawn("black 50x50", 50, 50, SKEncodedImageFormat.Png, (canvas, _, _) => canvas.Clear(SKColors.Black)),
        Drawn("radial gradient 333x222", 333, 222, SKEncodedImageFormat.Png, RadialGradient),
        Pixels("grey noise 1000x10", 1000, 10, SKEncodedImageFormat.Png, GreyNoise(6)),
        Drawn("shapes exactly double 448x448", 448, 448, SKEncodedImageFormat.Png, Shapes),
        Drawn("blobs webp 300x200", 300, 200, SKEncodedImageFormat.Webp, Blobs),
        Drawn("text one side 224 224x300", 224, 300, SKEncodedImageFormat.Png, Text),
    ];

    // Drawn on an opaque premultiplied canvas (Skia draws only premultiplied).
    private static Image Drawn(string name, int width, int height, SKEncodedImageFormat format, Action<SKCanvas, int, int> draw)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            draw(canvas, width, height);
        }

        return Encode(name, bitmap, format);
    }

    // Set pixel by pixel, unpremultiplied, so alpha can be anything over any colour.
    private static Image Pixels(string name, int width, int height, SKEncodedImageFormat format, Func<int, int, (byte R, byte G, byte B, byte A)> pixel)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var pixels = bitmap.GetPixelSpan();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (r, g, b, a) = pixel(x, y);
                var offset = (y * bitmap.RowBytes) + (x * 4);
                pixels[offset] = r;
                pixels[offset + 1] = g;
                pixels[offset + 2] = b;
                pixels[offset + 3] = a;
            }
        }

        return Encode(name, bitmap, format);
    }

    private static Image Encode(string name, SKBitmap bitmap, SKEncodedImageFormat format)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 92);
        return new Image(name, data.ToArray());
    }

    private static Func<int, int, (byte, byte, byte, byte)> Noise(int seed)
    {
        var random = new Random(seed);
        return (_, _) => ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), 255);
    }

    private static Func<int, int, (byte, byte, byte, byte)> GreyNoise(int seed)
    {
        var random = new Random(seed);
        return (_, _) =>
        {
            var v = (byte)random.Next(256);
            return (v, v, v, 255);
        };
    }

    private static Func<int, int, (byte, byte, byte, byte)> AlphaGradient(int width, int height) =>
        (x, y) => ((byte)(x * 255 / width), (byte)(y * 255 / height), 180, (byte)((x + y) * 255 / (width + height)));

    // Fully transparent pixels that still carry colour: nsfwjs drops alpha and sees the colour.
    private static (byte, byte, byte, byte) TransparentColour(int x, int y) => ((byte)(x * 2), (byte)(255 - (y * 2)), (byte)(x * y % 256), 0);

    private static (byte, byte, byte, byte) Checkerboard(int x, int y) =>
        ((x / 7) + (y / 5)) % 2 == 0 ? ((byte)230, (byte)20, (byte)60, (byte)255) : ((byte)10, (byte)200, (byte)240, (byte)255);

    private static void LinearGradient(SKCanvas canvas, int width, int height)
    {
        using var paint = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height), [SKColors.Navy, SKColors.Orange, SKColors.LimeGreen], SKShaderTileMode.Clamp),
        };
        canvas.DrawRect(0, 0, width, height, paint);
    }

    private static void RadialGradient(SKCanvas canvas, int width, int height)
    {
        using var paint = new SKPaint
        {
            Shader = SKShader.CreateRadialGradient(new SKPoint(width / 3f, height / 2f), width / 2f, [SKColors.Pink, SKColors.Brown, SKColors.Black], SKShaderTileMode.Mirror),
        };
        canvas.DrawRect(0, 0, width, height, paint);
    }

    private static void Stripes(SKCanvas canvas, int width, int height)
    {
        canvas.Clear(SKColors.Beige);
        using var paint = new SKPaint { Color = SKColors.DarkSlateBlue };
        for (var y = 0; y < height; y += 9)
        {
            canvas.DrawRect(0, y, width, 4, paint);
        }
    }

    private static void Shapes(SKCanvas canvas, int width, int height)
    {
        var random = new Random(width + height);
        canvas.Clear(new SKColor(240, 235, 220));
        using var paint = new SKPaint { IsAntialias = true };
        for (var i = 0; i < 40; i++)
        {
            paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(120, 256));
            if (i % 2 == 0)
            {
                canvas.DrawCircle(random.Next(width), random.Next(height), random.Next(5, width / 5), paint);
            }
            else
            {
                canvas.DrawRect(random.Next(width), random.Next(height), random.Next(5, width / 4), random.Next(5, height / 4), paint);
            }
        }
    }

    // Skia's dependency-free Linux build has no font manager, so load a font file; without one, draw letter-like strokes.
    private static void Text(SKCanvas canvas, int width, int height)
    {
        canvas.Clear(SKColors.White);
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true, StrokeWidth = 2, Style = SKPaintStyle.Stroke };
        using var typeface = SKTypeface.FromFile("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
        using var font = new SKFont(typeface, 28);
        var random = new Random(width);
        for (var line = 0; line * 34 < height; line++)
        {
            var baseline = 30 + (line * 34);
            if (typeface is not null)
            {
                paint.Style = SKPaintStyle.Fill;
                canvas.DrawText($"Line {line}: the quick brown fox jumps over the lazy dog", 8, baseline, SKTextAlign.Left, font, paint);
                continue;
            }

            for (var x = 8; x < width - 16; x += 14)
            {
                canvas.DrawLine(x, baseline, x + random.Next(4, 12), baseline - random.Next(8, 22), paint);
                canvas.DrawArc(new SKRect(x, baseline - 12, x + 10, baseline), random.Next(360), 240, false, paint);
            }
        }
    }

    private static void Blobs(SKCanvas canvas, int width, int height)
    {
        var random = new Random(width * height);
        canvas.Clear(new SKColor(90, 120, 150));
        using var paint = new SKPaint { IsAntialias = true, MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, 12) };
        for (var i = 0; i < 25; i++)
        {
            paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            canvas.DrawOval(random.Next(width), random.Next(height), random.Next(10, width / 4), random.Next(10, height / 4), paint);
        }
    }

    private static void SkinTones(SKCanvas canvas, int width, int height)
    {
        canvas.Clear(new SKColor(225, 190, 160));
        using var paint = new SKPaint { IsAntialias = true, MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, 20) };
        SKColor[] tones = [new(198, 134, 66), new(141, 85, 36), new(255, 219, 172), new(224, 172, 105)];
        for (var i = 0; i < 12; i++)
        {
            paint.Color = tones[i % tones.Length];
            canvas.DrawOval(width * ((i * 37) % 100) / 100f, height * ((i * 53) % 100) / 100f, width / 5f, height / 6f, paint);
        }
    }
}
