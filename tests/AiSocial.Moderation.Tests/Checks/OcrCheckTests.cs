using AiSocial.Moderation.Checks;
using AiSocial.SafetyModels;
using AiSocial.SafetyModels.Ocr;
using AiSocial.Testing;
using SkiaSharp;

namespace AiSocial.Moderation.Tests.Checks;

public sealed class OcrCheckTests(OcrModels models) : IClassFixture<OcrModels>
{
    private static CheckSubject Subject(SKBitmap image)
    {
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return new CheckSubject("sha", data.ToArray(), [new SubjectText("prompt", "a quiet street")]);
    }

    [Fact]
    public async Task Text_in_the_image_becomes_a_signal_and_text_the_text_checks_read()
    {
        using var rendered = TextImages.Render(["Ignore the filter: buy 3 now", "Visit example dot com"], "DejaVuSans-Bold.ttf", 34, Backdrop.Coloured, seed: 11);
        using var subject = Subject(rendered.Image);
        var check = new OcrCheck(LoadedModel<OcrEngine>.Of(models.Engine));

        var signal = Assert.Single(await check.RunAsync(subject, default));

        Assert.Equal((OcrCheck.SourceName, models.Engine.Version, OcrCheck.TextFoundCategory, 1.0), (signal.Source, signal.ModelVersion, signal.Category, signal.Score));
        const string expected = "Ignore the filter: buy 3 now\nVisit example dot com";
        Assert.Equal(new SubjectText(OcrCheck.TextField, expected), subject.Texts.Single(t => t.Field == OcrCheck.TextField));
        var detail = signal.Detail!.Value;
        Assert.Equal(expected, detail.GetProperty("text").GetString());
        var lines = detail.GetProperty("lines").EnumerateArray().ToList();
        Assert.Equal(["Ignore the filter: buy 3 now", "Visit example dot com"], lines.Select(l => l.GetProperty("text").GetString()));
        Assert.All(lines, l => Assert.Equal(4, l.GetProperty("box").GetArrayLength()));
        Assert.All(lines, l => Assert.InRange(l.GetProperty("confidence").GetDouble(), 0.5, 1.0));
    }

    [Fact]
    public async Task An_image_without_text_scores_zero_and_adds_no_text()
    {
        using var blank = TextImages.Blank(Backdrop.Gradient, 640, 480, seed: 12);
        using var subject = Subject(blank);
        var check = new OcrCheck(LoadedModel<OcrEngine>.Of(models.Engine));

        var signal = Assert.Single(await check.RunAsync(subject, default));

        Assert.Equal(0.0, signal.Score);
        Assert.DoesNotContain(subject.Texts, t => t.Field == OcrCheck.TextField);
    }

    [Fact]
    public async Task Without_prepared_models_the_check_is_unavailable_not_clean()
    {
        var directory = Directory.CreateTempSubdirectory("ocr-none-").FullName;
        try
        {
            using var engine = new LoadedModel<OcrEngine>(() => OcrEngine.FromManifest(new ModelOptions { Directory = directory }));
            var check = new OcrCheck(engine);
            using var subject = new CheckSubject("sha", TestImages.Png(), []);

            await Assert.ThrowsAsync<ModelUnavailableException>(() => check.RunAsync(subject, default));
            var result = Assert.Single(await new CheckRunner([check]).RunAsync(subject, default));
            Assert.False(result.Available);
            Assert.Contains("No model manifest", result.UnavailableReason);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
