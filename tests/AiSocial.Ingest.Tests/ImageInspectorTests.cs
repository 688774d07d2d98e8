using System.Security.Cryptography;
using AiSocial.Ingest.Media;
using AiSocial.Problems;
using AiSocial.Testing;
using Microsoft.Extensions.Options;

namespace AiSocial.Ingest.Tests;

public sealed class ImageInspectorTests
{
    private static ImageInspector Inspector(long maxBytes = 20 * 1024 * 1024) =>
        new(Options.Create(new MediaOptions { MaxBytes = maxBytes, MaxSide = 8192 }));

    private static Task<Outcome<InspectedImage>> InspectAsync(byte[] bytes, long maxBytes = 20 * 1024 * 1024) =>
        Inspector(maxBytes).InspectAsync(new MemoryStream(bytes), default);

    [Theory]
    [InlineData("png", "image/png")]
    [InlineData("jpeg", "image/jpeg")]
    [InlineData("webp", "image/webp")]
    public async Task Accepts_real_images_and_reports_what_they_are(string format, string contentType)
    {
        var bytes = format switch
        {
            "png" => TestImages.Png(120, 80),
            "jpeg" => TestImages.Jpeg(120, 80),
            _ => TestImages.Webp(120, 80),
        };

        var image = (await InspectAsync(bytes)).Value;

        Assert.Equal(contentType, image.ContentType);
        Assert.Equal((120, 80), (image.Width, image.Height));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), image.Sha256);
    }

    [Fact]
    public async Task A_text_file_is_not_an_image()
    {
        var error = await InspectAsync(TestImages.Text).AssertRefusedAsync();
        Assert.Equal(IngestProblems.ImageUnsupported, error.Problem);
    }

    [Fact]
    public async Task Truncated_png_and_jpeg_are_refused_as_corrupt()
    {
        var png = await InspectAsync(TestImages.Truncated(TestImages.Png(300, 300))).AssertRefusedAsync();
        var jpeg = await InspectAsync(TestImages.Truncated(TestImages.Jpeg(300, 300))).AssertRefusedAsync();

        Assert.Equal(IngestProblems.ImageCorrupt, png.Problem);
        Assert.Equal(IngestProblems.ImageCorrupt, jpeg.Problem);
    }

    [Fact]
    public async Task Dimensions_are_judged_from_the_header_before_anything_is_decoded()
    {
        // The file has a valid header and no pixel data: only a header-first check can call it too large rather than corrupt.
        var error = await InspectAsync(TestImages.PngClaiming(30000, 30000)).AssertRefusedAsync();

        Assert.Equal(IngestProblems.ImageDimensionsTooLarge, error.Problem);
        Assert.Contains("30000×30000", error.Detail);
    }

    [Fact]
    public async Task A_real_png_whose_header_was_edited_to_30000_px_is_refused_for_its_size()
    {
        var error = await InspectAsync(TestImages.WithPngSize(TestImages.Png(), 30000, 30000)).AssertRefusedAsync();
        Assert.Equal(IngestProblems.ImageDimensionsTooLarge, error.Problem);
    }

    [Fact]
    public async Task A_header_within_limits_but_without_pixels_is_corrupt()
    {
        var error = await InspectAsync(TestImages.PngClaiming(100, 100)).AssertRefusedAsync();
        Assert.Equal(IngestProblems.ImageCorrupt, error.Problem);
    }

    [Fact]
    public async Task Files_over_the_size_limit_are_refused_while_reading()
    {
        var png = TestImages.Png(200, 200);

        var error = await InspectAsync(png, maxBytes: png.Length - 1).AssertRefusedAsync();

        Assert.Equal(IngestProblems.ImageTooLarge, error.Problem);
        Assert.Equal(png.Length, (await InspectAsync(png, maxBytes: png.Length)).Value.Bytes.Length);
    }

    [Fact]
    public async Task A_png_signature_on_other_content_is_corrupt_and_an_empty_file_is_missing()
    {
        byte[] lying = [.. TestImages.Png()[..8], .. TestImages.Jpeg()];
        Assert.Equal(IngestProblems.ImageCorrupt, (await InspectAsync(lying).AssertRefusedAsync()).Problem);
        Assert.Equal(IngestProblems.ImageMissing, (await InspectAsync([]).AssertRefusedAsync()).Problem);
    }
}
