using System.Net;
using System.Runtime.InteropServices;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.ContentSafety;
using AiSocial.Testing;
using SkiaSharp;

namespace AiSocial.Moderation.Tests.ContentSafety;

public sealed class ContentSafetyImageCheckTests : IClassFixture<ContentSafetyDoubleFixture>, IDisposable
{
    private readonly ContentSafetyDouble _service;
    private readonly ContentSafetyServices _services;

    public ContentSafetyImageCheckTests(ContentSafetyDoubleFixture fixture)
    {
        _service = fixture.Service;
        _service.Reset();
        // These tests send images of several megabytes: on a busy machine that takes longer than the short
        // per-attempt timeout other tests use to show failures quickly, and none of them is about timing.
        _services = new ContentSafetyServices(_service, new Dictionary<string, string?>
        {
            ["ContentSafety:TimeoutSeconds"] = "120",
            ["ContentSafety:AttemptTimeoutSeconds"] = "60",
        });
    }

    public void Dispose()
    {
        _services.Dispose();
        _service.Reset();
    }

    private async Task<(IReadOnlyList<Signal> Signals, ReceivedImage Sent)> CheckAsync(byte[] image)
    {
        using var subject = new CheckSubject("sha", image, []);
        var signals = await _services.Check<ContentSafetyImageCheck>().RunAsync(subject, default);
        return (signals, Assert.Single(_service.Images));
    }

    /// <summary>Random pixels: incompressible, so the PNG is as large as the pixel count makes it.</summary>
    private static byte[] Noise(int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = new byte[width * height * 4];
        new Random(5).NextBytes(pixels);
        for (var i = 3; i < pixels.Length; i += 4)
        {
            pixels[i] = 255;
        }

        Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static string Action(Signal signal) => signal.Detail!.Value.GetProperty("image").GetProperty("action").GetString()!;

    [Fact]
    public async Task Image_categories_become_signals_by_name_with_levels_and_unknown_ones_kept()
    {
        _service.ImageSeverities["Sexual"] = 4;
        _service.ImageSeverities["SelfHarm"] = 2;
        _service.ReorderCategories = true;
        _service.AddUnknownCategory = true;
        var png = TestImages.Png(200, 150);

        var (signals, sent) = await CheckAsync(png);

        Assert.Equal((200, 150, png.Length), (sent.Width, sent.Height, sent.Bytes));
        var request = Assert.Single(_service.RequestsTo("image:analyze"));
        Assert.Equal(Convert.ToBase64String(png), request.Json.GetProperty("image").GetProperty("content").GetString());
        Assert.Equal("FourSeverityLevels", request.Json.GetProperty("outputType").GetString());
        var byCategory = signals.ToDictionary(s => s.Category);
        Assert.Equal(["harassment", "hate", "self-harm", "sexual", "violence"], byCategory.Keys.Order());
        Assert.All(signals, s => Assert.Equal(("contentsafety.image", "2024-09-01", "as-is"), (s.Source, s.ModelVersion, Action(s))));
        Assert.Equal((4, 4 / 7.0), (byCategory["sexual"].Severity, byCategory["sexual"].Score));
        Assert.Equal((2, 2 / 7.0), (byCategory["self-harm"].Severity, byCategory["self-harm"].Score));
        Assert.Equal(0, byCategory["violence"].Severity);
        Assert.Equal(4, byCategory["harassment"].Severity);
    }

    [Fact]
    public async Task An_image_over_four_megabytes_is_re_encoded_to_fit_and_the_service_would_refuse_it_as_stored()
    {
        var large = Noise(1400, 1400);
        Assert.True(large.Length > ContentSafetyImage.MaxBytes, $"the test image is only {large.Length} bytes");

        var refused = await Assert.ThrowsAsync<ContentSafetyException>(() => _services.Client.AnalyzeImageAsync(large, default));
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("exceeds the maximum limit of 4194304 bytes", refused.ErrorMessage);
        _service.Reset();

        var (signals, sent) = await CheckAsync(large);

        Assert.InRange(sent.Bytes, 1, ContentSafetyImage.MaxBytes);
        Assert.Equal((1400, 1400), (sent.Width, sent.Height));
        Assert.Equal("re-encoded", Action(signals[0]));
        var original = signals[0].Detail!.Value.GetProperty("image").GetProperty("original");
        Assert.Equal(large.Length, original.GetProperty("bytes").GetInt32());
    }

    [Theory]
    [InlineData(7300, 60, 7200, 59, "scaled+re-encoded")]
    [InlineData(60, 7500, 57, 7200, "scaled+re-encoded")]
    [InlineData(30, 20, 50, 50, "padded")]
    [InlineData(8000, 40, 7200, 50, "scaled+padded")]
    public async Task Images_outside_the_services_sides_are_scaled_or_padded_to_fit(int width, int height, int sentWidth, int sentHeight, string action)
    {
        var (signals, sent) = await CheckAsync(TestImages.Png(width, height));

        Assert.Equal((sentWidth, sentHeight), (sent.Width, sent.Height));
        Assert.Equal(action, Action(signals[0]));
        Assert.Equal(4, signals.Count);
    }

    [Fact]
    public async Task A_failing_service_makes_the_image_check_throw_never_return_safe_scores()
    {
        _service.AlwaysFail = (ServiceFault.InternalError500, null);
        using var subject = new CheckSubject("sha", TestImages.Png(100, 100), []);

        var failed = await Assert.ThrowsAsync<ContentSafetyException>(() => _services.Check<ContentSafetyImageCheck>().RunAsync(subject, default));

        Assert.Equal(HttpStatusCode.InternalServerError, failed.Status);
    }
}
