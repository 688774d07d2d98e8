using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using AiSocial.Problems;
using SkiaSharp;

namespace AiSocial.Ingest.Generations;

/// <summary>
/// Draws an abstract picture of overlapping shapes from the prompt and seed, with no model and no network, so the
/// platform works offline. The same prompt, negative prompt, seed and size give the same bytes; anything else gives
/// another picture. It is called <c>offline-renderer</c> wherever it appears, and never passed off as a model.
/// </summary>
internal sealed class OfflineRenderer(string defaultSize) : IImageGenerator
{
    public const string GeneratorName = "offline-renderer";

    // Bumped when the drawing changes, so stored parameters say which pictures a seed reproduces.
    private const int Version = 1;
    private const int Shapes = 24;

    public string Name => GeneratorName;

    public bool IsTrainedModel => false;

    public string DefaultModel => GeneratorName;

    public IReadOnlyList<string> Models => [GeneratorName];

    public string DefaultSize => defaultSize;

    public Task<Outcome<GeneratedPicture>> GenerateAsync(ImageRequest request, CancellationToken cancellationToken)
    {
        var random = new SplitMix64(Seed(request));
        var (width, height) = (request.Size.Width, request.Size.Height);
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul, SKColorSpace.CreateSrgb()));
        var canvas = surface.Canvas;
        using (var background = new SKPaint())
        using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                   [Colour(ref random, 255), Colour(ref random, 255)], SKShaderTileMode.Clamp))
        {
            background.Shader = shader;
            canvas.DrawRect(0, 0, width, height, background);
        }

        using var paint = new SKPaint { IsAntialias = true };
        for (var i = 0; i < Shapes; i++)
        {
            paint.Color = Colour(ref random, (byte)(96 + random.Next(128)));
            paint.Style = random.Next(4) == 0 ? SKPaintStyle.Stroke : SKPaintStyle.Fill;
            paint.StrokeWidth = 2 + random.Next(Math.Max(3, width / 40));
            var (x, y) = (random.Next(width), random.Next(height));
            var size = width / 20 + random.Next(Math.Max(1, width / 4));
            switch (random.Next(3))
            {
                case 0:
                    canvas.DrawCircle(x, y, size, paint);
                    break;
                case 1:
                    canvas.DrawRect(x - size, y - size / 2, size * 2, size, paint);
                    break;
                default:
                    canvas.DrawOval(x, y, size, size / 2f, paint);
                    break;
            }
        }

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        var parameters = new Dictionary<string, object?> { ["renderer"] = GeneratorName, ["version"] = Version, ["shapes"] = Shapes, ["seedApplied"] = true };
        return Task.FromResult<Outcome<GeneratedPicture>>(new GeneratedPicture(png.ToArray(), RevisedPrompt: null, parameters));
    }

    /// <summary>Everything the picture depends on, hashed, so a change to any of it changes the picture.</summary>
    private static ulong Seed(ImageRequest request)
    {
        var input = JsonSerializer.SerializeToUtf8Bytes(new object?[] { Version, request.Prompt, request.NegativePrompt, request.Seed, request.Size.ToString() });
        return BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(input));
    }

    private static SKColor Colour(ref SplitMix64 random, byte alpha) =>
        new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), alpha);

    /// <summary>A small generator whose sequence is fixed by its seed on every platform and .NET version.</summary>
    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public int Next(int bound)
        {
            _state += 0x9E3779B97F4A7C15;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            z ^= z >> 31;
            return (int)(z % (ulong)bound);
        }
    }
}
