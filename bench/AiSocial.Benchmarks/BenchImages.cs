using SkiaSharp;

namespace AiSocial.Benchmarks;

/// <summary>Varied images for the benchmarks (gradients, shapes, noise, text), encoded as a person would upload them.</summary>
public static class BenchImages
{
    private const string Font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    public static IReadOnlyList<byte[]> Encoded(int count, int width, int height, int seed = 7)
    {
        var random = new Random(seed);
        using var typeface = File.Exists(Font) ? SKTypeface.FromFile(Font) : SKTypeface.Default;
        var images = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
            using (var canvas = new SKCanvas(bitmap))
            {
                using var gradient = new SKPaint
                {
                    Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                        [RandomColor(random), RandomColor(random)], SKShaderTileMode.Clamp),
                };
                canvas.DrawRect(0, 0, width, height, gradient);
                using var shape = new SKPaint { IsAntialias = true };
                for (var s = 0; s < 12; s++)
                {
                    shape.Color = RandomColor(random).WithAlpha((byte)random.Next(80, 255));
                    canvas.DrawCircle(random.Next(width), random.Next(height), random.Next(5, width / 4), shape);
                }

                using var font = new SKFont(typeface, random.Next(18, 48));
                using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
                canvas.DrawText($"sample {i} of the benchmark set", 10, height / 2f, SKTextAlign.Left, font, ink);
            }

            using var data = bitmap.Encode(i % 2 == 0 ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, 90);
            images.Add(data.ToArray());
        }

        return images;
    }

    private static SKColor RandomColor(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
}
