using SkiaSharp;

namespace AiSocial.Testing;

/// <summary>An image with known text drawn on it, and where each line's ink is.</summary>
public sealed record RenderedText(SKBitmap Image, IReadOnlyList<string> Lines, IReadOnlyList<SKRect> InkBounds, string Description) : IDisposable
{
    public void Dispose() => Image.Dispose();
}

public enum Backdrop { White, Dark, Coloured, Gradient, Noise }

/// <summary>Ordinary English sentences drawn with the machine's DejaVu fonts on varied backgrounds, all from one seed.</summary>
public static class TextImages
{
    public const string FontDirectory = "/usr/share/fonts/truetype/dejavu";

    public static readonly string[] Fonts =
    [
        "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
    ];

    private static readonly string[] Words =
    [
        "the", "a", "of", "and", "to", "in", "is", "was", "for", "on", "with", "at", "by", "from", "that", "this", "it", "as", "or", "but",
        "time", "people", "year", "way", "day", "man", "woman", "child", "world", "life", "hand", "part", "place", "case", "week",
        "company", "system", "program", "question", "work", "government", "number", "night", "point", "home", "water", "room",
        "mother", "area", "money", "story", "fact", "month", "lot", "right", "study", "book", "eye", "job", "word", "business",
        "issue", "side", "kind", "head", "house", "service", "friend", "father", "power", "hour", "game", "line", "end", "member",
        "law", "car", "city", "community", "name", "president", "team", "minute", "idea", "kid", "body", "information", "back",
        "parent", "face", "others", "level", "office", "door", "health", "person", "art", "war", "history", "party", "result",
        "change", "morning", "reason", "research", "girl", "guy", "moment", "air", "teacher", "force", "education", "garden",
        "make", "take", "see", "know", "think", "come", "give", "look", "find", "want", "tell", "ask", "seem", "feel", "leave",
        "keep", "begin", "help", "show", "hear", "play", "run", "move", "live", "believe", "bring", "happen", "write", "provide",
        "good", "new", "first", "last", "long", "great", "little", "own", "other", "old", "big", "high", "different", "small",
        "large", "next", "early", "young", "important", "few", "public", "bad", "same", "able", "quick", "brown", "lazy", "quiet",
        "yellow", "bright", "simple", "strong", "happy", "careful", "sudden", "famous", "heavy", "gentle", "river", "mountain",
        "window", "market", "kitchen", "journey", "letter", "picture", "weather", "village", "station", "question", "answer",
    ];

    private static readonly string[] Between = [" ", " ", " ", " ", " ", " ", ", ", " - ", ": ", "; "];
    private static readonly string[] Endings = [".", ".", ".", "!", "?", "...", ""];

    /// <summary>A sentence of about the given length: words, sometimes a number, quote or bracket, then an ending.</summary>
    public static string Sentence(Random random, int targetLength)
    {
        var parts = new List<string>();
        var length = 0;
        while (length < targetLength || parts.Count < 2)
        {
            var word = random.Next(10) switch
            {
                0 => Number(random),
                1 => $"\"{Words[random.Next(Words.Length)]}\"",
                2 when parts.Count > 0 => $"({Words[random.Next(Words.Length)]})",
                _ => Words[random.Next(Words.Length)],
            };
            parts.Add(word);
            length += word.Length + 1;
        }

        var sentence = char.ToUpperInvariant(parts[0][0]) + parts[0][1..];
        for (var i = 1; i < parts.Count; i++)
        {
            sentence += Between[random.Next(Between.Length)] + parts[i];
        }

        return sentence + Endings[random.Next(Endings.Length)];
    }

    private static string Number(Random random) => random.Next(6) switch
    {
        0 => random.Next(2, 100).ToString(System.Globalization.CultureInfo.InvariantCulture),
        1 => random.Next(1900, 2031).ToString(System.Globalization.CultureInfo.InvariantCulture),
        2 => $"{random.Next(1, 10)},{random.Next(0, 1000):000}",
        3 => $"{random.Next(1, 100)}%",
        4 => $"${random.Next(1, 500)}.{random.Next(0, 100):00}",
        _ => $"{random.Next(1, 13)}:{random.Next(0, 60):00}",
    };

    /// <summary>Lines of text drawn one under another with a margin all round.</summary>
    public static RenderedText Render(IReadOnlyList<string> lines, string font, float size, Backdrop backdrop, int seed)
    {
        var random = new Random(seed);
        using var typeface = SKTypeface.FromFile(Path.Combine(FontDirectory, font)) ?? throw new InvalidOperationException($"Font {font} not found.");
        using var skFont = new SKFont(typeface, size);
        var measured = lines.Select(line =>
        {
            skFont.MeasureText(line, out var bounds);
            return bounds;
        }).ToList();
        var margin = (int)(size * (0.6 + random.NextDouble()));
        var lineHeight = size * (1.25f + (0.45f * random.NextSingle()));
        var width = (int)MathF.Ceiling(measured.Max(b => b.Right)) + (2 * margin);
        var height = (int)MathF.Ceiling(lineHeight * lines.Count) + (2 * margin);
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var (ink, description) = Paint(bitmap, backdrop, random);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var paint = new SKPaint { Color = ink, IsAntialias = true };
            var inkBounds = new List<SKRect>();
            for (var i = 0; i < lines.Count; i++)
            {
                var baseline = margin + (lineHeight * i) + (size * 1.2f);
                canvas.DrawText(lines[i], margin, baseline, SKTextAlign.Left, skFont, paint);
                var b = measured[i];
                inkBounds.Add(new SKRect(b.Left + margin, b.Top + baseline, b.Right + margin, b.Bottom + baseline));
            }

            return new RenderedText(bitmap, lines, inkBounds, $"{font} {size:0}px {description}");
        }
    }

    /// <summary>Just a background.</summary>
    public static SKBitmap Blank(Backdrop backdrop, int width, int height, int seed)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        Paint(bitmap, backdrop, new Random(seed));
        return bitmap;
    }

    /// <summary>Fills the background; returns the ink colour that reads on it.</summary>
    private static (SKColor Ink, string Description) Paint(SKBitmap bitmap, Backdrop backdrop, Random random)
    {
        using var canvas = new SKCanvas(bitmap);
        byte Channel(int low, int high) => (byte)random.Next(low, high);
        switch (backdrop)
        {
            case Backdrop.White:
                canvas.Clear(SKColors.White);
                return (new SKColor(Channel(0, 60), Channel(0, 60), Channel(0, 60)), "dark on white");
            case Backdrop.Dark:
                canvas.Clear(new SKColor(Channel(0, 50), Channel(0, 50), Channel(0, 50)));
                return (new SKColor(Channel(200, 256), Channel(200, 256), Channel(200, 256)), "light on dark");
            case Backdrop.Coloured:
                {
                    var background = SKColor.FromHsv(random.Next(360), random.Next(40, 90), random.Next(45, 95));
                    canvas.Clear(background);
                    var light = Luminance(background) > 0.5;
                    return (light ? new SKColor(20, 20, 30) : new SKColor(250, 250, 245), $"{(light ? "dark" : "light")} on {background}");
                }

            case Backdrop.Gradient:
                {
                    var light = random.Next(2) == 0;
                    SKColor Tone() => light
                        ? SKColor.FromHsv(random.Next(360), random.Next(10, 40), random.Next(80, 100))
                        : SKColor.FromHsv(random.Next(360), random.Next(30, 80), random.Next(5, 35));
                    using var paint = new SKPaint
                    {
                        Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(bitmap.Width, bitmap.Height), [Tone(), Tone()], SKShaderTileMode.Clamp),
                    };
                    canvas.DrawRect(0, 0, bitmap.Width, bitmap.Height, paint);
                    return (light ? new SKColor(30, 20, 60) : new SKColor(255, 240, 200), $"{(light ? "dark on light" : "light on dark")} gradient");
                }

            default:
                {
                    canvas.Clear(new SKColor(235, 232, 225));
                    canvas.Flush();
                    var pixels = bitmap.GetPixelSpan();
                    for (var i = 0; i < pixels.Length; i += 4)
                    {
                        var noise = random.Next(-25, 26);
                        for (var c = 0; c < 3; c++)
                        {
                            pixels[i + c] = (byte)Math.Clamp(pixels[i + c] + noise, 0, 255);
                        }
                    }

                    return (new SKColor(Channel(0, 70), Channel(0, 70), Channel(0, 90)), "dark on noisy light");
                }
        }
    }

    private static double Luminance(SKColor colour) => ((0.299 * colour.Red) + (0.587 * colour.Green) + (0.114 * colour.Blue)) / 255;
}
