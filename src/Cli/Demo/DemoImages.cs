using SkiaSharp;

namespace AiSocial.Cli.Demo;

/// <summary>Draws the demo posts' images. Deterministic per seed, so a second seed run uploads identical bytes.</summary>
public static class DemoImages
{
    public static byte[] Render(int seed, int size = 512)
    {
        var random = new Random(seed);
        SKColor RandomColor() => new((byte)random.Next(40, 256), (byte)random.Next(40, 256), (byte)random.Next(40, 256));

        using var surface = SKSurface.Create(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        using (var background = new SKPaint())
        {
            background.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(size, size),
                [RandomColor(), RandomColor()], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, size, size, background);
        }

        using var paint = new SKPaint { IsAntialias = true };
        for (var i = 0; i < 12; i++)
        {
            paint.Color = RandomColor().WithAlpha((byte)random.Next(90, 220));
            var x = random.Next(size);
            var y = random.Next(size);
            var r = random.Next(size / 16, size / 4);
            if (i % 3 == 0)
            {
                canvas.DrawRect(x - r, y - r, r * 2, r, paint);
            }
            else
            {
                canvas.DrawCircle(x, y, r, paint);
            }
        }

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
