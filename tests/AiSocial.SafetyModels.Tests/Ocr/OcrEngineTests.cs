using System.Text.RegularExpressions;
using AiSocial.SafetyModels.Ocr;
using AiSocial.Testing;
using SkiaSharp;
using Xunit.Abstractions;

namespace AiSocial.SafetyModels.Tests.Ocr;

public sealed partial class OcrEngineTests(OcrModels models, ITestOutputHelper output) : IClassFixture<OcrModels>
{
    private OcrEngine Engine => models.Engine;

    [Fact]
    public void Reads_rendered_english_lines_with_a_character_error_rate_of_at_most_two_percent()
    {
        var random = new Random(20240611);
        var backdrops = Enum.GetValues<Backdrop>();
        var errors = 0;
        var characters = 0;
        var lineCount = 0;
        var detection = TimeSpan.Zero;
        var recognition = TimeSpan.Zero;
        var misreads = new List<(int Distance, string Expected, string Read, string Description)>();
        const int images = 25;
        for (var i = 0; i < images; i++)
        {
            var lines = Enumerable.Range(0, 2 + random.Next(2)).Select(_ => TextImages.Sentence(random, random.Next(18, 46))).ToList();
            var size = random.Next(18, 65);
            using var rendered = TextImages.Render(lines, TextImages.Fonts[i % TextImages.Fonts.Length], size, backdrops[i % backdrops.Length], seed: i);

            var result = Engine.Read(rendered.Image);

            var expected = Normalise(rendered.Lines);
            var read = Normalise(result.Lines.Select(l => l.Text));
            var distance = Levenshtein(expected, read);
            errors += distance;
            characters += rendered.Lines.Sum(l => WhitespaceRuns().Replace(l.Trim(), " ").Length);
            lineCount += lines.Count;
            detection += result.DetectionTime;
            recognition += result.RecognitionTime;
            if (distance > 0)
            {
                misreads.Add((distance, expected, read, rendered.Description));
            }
        }

        var rate = (double)errors / characters;
        output.WriteLine($"CER {rate:P2}: {errors} edits over {characters} characters in {lineCount} lines on {images} images");
        output.WriteLine($"per image: detection {detection.TotalMilliseconds / images:0} ms, recognition {recognition.TotalMilliseconds / images:0} ms");
        foreach (var (distance, expected, read, description) in misreads.OrderByDescending(m => m.Distance).Take(10))
        {
            output.WriteLine($"{distance} edits ({description}):\n  expected: {expected.Replace("\n", " | ")}\n  read:     {read.Replace("\n", " | ")}");
        }

        Assert.True(lineCount >= 50, $"only {lineCount} lines rendered");
        Assert.True(rate <= 0.02, $"character error rate {rate:P2} is above 2%");
    }

    [Fact]
    public void An_image_without_text_gives_no_lines_and_never_runs_the_recogniser()
    {
        using var text = TextImages.Render(["Nothing to see here, 42 times."], "DejaVuSans.ttf", 32, Backdrop.White, seed: 1);
        var withText = Engine.Read(text.Image);
        Assert.True(withText.RecognitionRuns > 0);
        Assert.NotEmpty(withText.Lines);

        foreach (var backdrop in Enum.GetValues<Backdrop>())
        {
            using var blank = TextImages.Blank(backdrop, 800, 450, seed: 3);
            var result = Engine.Read(blank);
            Assert.Empty(result.Lines);
            Assert.Equal(0, result.RecognitionRuns);
        }

        using var photo = SKBitmap.Decode(TestImages.Png(640, 480, seed: 9));
        var shapes = Engine.Read(photo);
        Assert.Equal((0, 0), (shapes.Lines.Count, shapes.RecognitionRuns));
    }

    [Theory]
    [InlineData("DejaVuSans.ttf", 24, Backdrop.White)]
    [InlineData("DejaVuSerif-Bold.ttf", 48, Backdrop.Dark)]
    [InlineData("DejaVuSansMono.ttf", 36, Backdrop.Gradient)]
    public void The_box_lies_where_the_text_was_drawn(string font, float size, Backdrop backdrop)
    {
        using var rendered = TextImages.Render(["Boxes must sit on the 12 words drawn here."], font, size, backdrop, seed: 5);

        var line = Assert.Single(Engine.Read(rendered.Image).Lines);

        Assert.StartsWith("Boxes must sit on the", line.Text);
        var iou = IntersectionOverUnion(line.Box.Bounds, rendered.InkBounds[0]);
        output.WriteLine($"box {line.Box.Bounds}, ink {rendered.InkBounds[0]}, IoU {iou:0.00}");
        Assert.True(iou > 0.5, $"IoU {iou:0.00}");
    }

    [Fact]
    public void Reads_a_line_drawn_at_an_angle_and_boxes_it_at_that_angle()
    {
        const string text = "Tilted text still gets read: 7 of 8 times!";
        using var bitmap = new SKBitmap(new SKImageInfo(900, 420, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        using (var typeface = SKTypeface.FromFile(Path.Combine(TextImages.FontDirectory, "DejaVuSans.ttf")))
        using (var font = new SKFont(typeface, 36))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            canvas.Clear(SKColors.White);
            canvas.RotateDegrees(-15, 450, 210);
            canvas.DrawText(text, 450, 222, SKTextAlign.Center, font, paint);
        }

        var line = Assert.Single(Engine.Read(bitmap).Lines);

        Assert.Equal(text, line.Text);
        var angle = MathF.Atan2(line.Box.TopRight.Y - line.Box.TopLeft.Y, line.Box.TopRight.X - line.Box.TopLeft.X) * 180 / MathF.PI;
        Assert.InRange(angle, -17, -13);
    }

    [Fact]
    public void Reads_a_line_running_down_the_image()
    {
        const string text = "Reading down the side 2025";
        using var bitmap = new SKBitmap(new SKImageInfo(160, 900, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        using (var typeface = SKTypeface.FromFile(Path.Combine(TextImages.FontDirectory, "DejaVuSans.ttf")))
        using (var font = new SKFont(typeface, 40))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            canvas.Clear(SKColors.White);
            canvas.RotateDegrees(90, 80, 450);
            canvas.DrawText(text, 80, 464, SKTextAlign.Center, font, paint);
        }

        var line = Assert.Single(Engine.Read(bitmap).Lines);

        Assert.Equal(text, line.Text);
        Assert.True(line.Box.Bounds.Height > 4 * line.Box.Bounds.Width);
    }

    [Fact]
    public void Dark_text_on_a_transparent_background_is_read()
    {
        using var rendered = TextImages.Render(["Hidden in the alpha channel 99%"], "DejaVuSans-Bold.ttf", 40, Backdrop.White, seed: 2);
        using var transparent = new SKBitmap(new SKImageInfo(rendered.Image.Width, rendered.Image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var source = rendered.Image.GetPixelSpan();
        var target = transparent.GetPixelSpan();
        for (var i = 0; i < source.Length; i += 4)
        {
            // Black ink whose coverage is all in alpha, as a PNG with a transparent background stores it.
            target[i] = target[i + 1] = target[i + 2] = 0;
            target[i + 3] = (byte)(255 - source[i]);
        }

        Assert.Equal(rendered.Lines[0], Assert.Single(Engine.Read(transparent).Lines).Text);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 700)]
    [InlineData(31, 33)]
    public void Tiny_and_thin_images_give_no_lines(int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        bitmap.Erase(SKColors.White);

        var result = Engine.Read(bitmap);

        Assert.Empty(result.Lines);
    }

    [Fact]
    public void Reads_a_huge_wide_banner()
    {
        var lines = new[] { "A very wide banner: 4000 pixels across, $19.99 only!" };
        using var rendered = TextImages.Render(lines, "DejaVuSans-Bold.ttf", 140, Backdrop.Coloured, seed: 8);
        Assert.True(rendered.Image.Width > 3500, $"banner is {rendered.Image.Width} wide");

        var line = Assert.Single(Engine.Read(rendered.Image).Lines);

        Assert.Equal(lines[0], line.Text);
        Assert.True(line.Box.Bounds.Right <= rendered.Image.Width && line.Box.Bounds.Bottom <= rendered.Image.Height);
        Assert.True(IntersectionOverUnion(line.Box.Bounds, rendered.InkBounds[0]) > 0.5);
    }

    [Fact]
    public void Concurrent_reads_share_the_sessions_and_agree()
    {
        using var rendered = TextImages.Render(["Two threads, one model.", "Same answer: 2 + 2 = 4"], "DejaVuSerif.ttf", 30, Backdrop.Noise, seed: 4);
        var expected = Engine.Read(rendered.Image).Text;

        var texts = new string[4];
        Parallel.For(0, texts.Length, i => texts[i] = Engine.Read(rendered.Image).Text);

        Assert.All(texts, text => Assert.Equal(expected, text));
        Assert.Equal("Two threads, one model.\nSame answer: 2 + 2 = 4", expected);
    }

    [Fact]
    public void A_cancelled_read_stops_with_the_usual_exception()
    {
        using var rendered = TextImages.Render(["Never read"], "DejaVuSans.ttf", 30, Backdrop.White, seed: 6);

        Assert.ThrowsAny<OperationCanceledException>(() => Engine.Read(rendered.Image, new CancellationToken(canceled: true)));
    }

    [Fact]
    public void An_image_without_pixels_is_refused_with_a_clear_message()
    {
        using var empty = new SKBitmap();

        var error = Assert.Throws<ArgumentException>(() => Engine.Read(empty));
        Assert.Contains("no pixels", error.Message);
    }

    [Fact]
    public void Missing_or_mismatched_model_files_make_the_models_unavailable()
    {
        var directory = Directory.CreateTempSubdirectory("ocr-models-").FullName;
        try
        {
            var detection = Path.Combine(models.Directory, OcrModels.DetectionFile);
            var recognition = Path.Combine(models.Directory, OcrModels.RecognitionFile);
            var keys = Path.Combine(models.Directory, OcrModels.KeysFile);
            var shortKeys = Path.Combine(directory, "keys.txt");
            File.WriteAllLines(shortKeys, ["a", "b", "c"]);
            var garbage = Path.Combine(directory, "garbage.onnx");
            File.WriteAllText(garbage, "not a model");

            Assert.Contains("missing", Assert.Throws<ModelUnavailableException>(() => new OcrEngine(Path.Combine(directory, "none.onnx"), recognition, keys)).Message);
            Assert.Contains("cannot be loaded", Assert.Throws<ModelUnavailableException>(() => new OcrEngine(garbage, recognition, keys)).Message);
            Assert.Contains("6625 classes", Assert.Throws<ModelUnavailableException>(() => new OcrEngine(detection, recognition, shortKeys)).Message);
            Assert.Contains("rank 3 out", Assert.Throws<ModelUnavailableException>(() => new OcrEngine(detection, detection, keys)).Message);
            Assert.Contains("No model manifest", Assert.Throws<ModelUnavailableException>(() => OcrEngine.FromManifest(new ModelOptions { Directory = directory })).Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static double IntersectionOverUnion(SKRect a, SKRect b)
    {
        var intersection = SKRect.Intersect(a, b);
        var overlap = intersection.IsEmpty ? 0 : intersection.Width * intersection.Height;
        return overlap / ((a.Width * a.Height) + (b.Width * b.Height) - overlap);
    }

    private static string Normalise(IEnumerable<string> lines) => string.Join('\n', lines.Select(l => WhitespaceRuns().Replace(l.Trim(), " ")));

    private static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRuns();
}
