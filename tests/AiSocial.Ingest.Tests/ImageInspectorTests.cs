using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using AiSocial.Ingest.Media;
using AiSocial.Problems;
using AiSocial.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AiSocial.Ingest.Tests;

public sealed class ImageInspectorTests
{
    private static ImageInspector Inspector(long maxBytes = 20 * 1024 * 1024) =>
        new(Options.Create(new MediaOptions { MaxBytes = maxBytes, MaxSide = 8192 }));

    private static Task<Outcome<InspectedImage>> InspectAsync(byte[] bytes, MediaOptions options) =>
        new ImageInspector(Options.Create(options)).InspectAsync(new MemoryStream(bytes), default);

    private static string Sha256Of(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

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
        Assert.Equal(Sha256Of(bytes), image.UploadSha256);
        Assert.Equal(Sha256Of(image.Bytes), image.Sha256);
        // Encoded afresh from the pixels: a lossless format keeps them exactly, a lossy one nearly.
        Assert.InRange(TestImages.MaxChannelDifference(bytes, image.Bytes), 0, format == "png" ? 0 : 24);
    }

    [Fact]
    public async Task Trailing_bytes_and_an_appended_archive_never_reach_storage()
    {
        var png = TestImages.Png(80, 60, seed: 3);
        byte[] archive = [.. "PK\u0003\u0004"u8, .. "<?php system($_GET['c']); ?>"u8];
        byte[] polyglot = [.. png, .. archive];
        byte[] jpegWithTail = [.. TestImages.Jpeg(80, 60), .. archive];

        foreach (var upload in new[] { polyglot, jpegWithTail })
        {
            var image = (await InspectAsync(upload)).Value;

            Assert.Equal(Sha256Of(upload), image.UploadSha256);
            Assert.Equal(-1, image.Bytes.AsSpan().IndexOf("<?php"u8));
            Assert.Equal(-1, image.Bytes.AsSpan().IndexOf("PK\u0003\u0004"u8));
        }

        Assert.Equal(0, TestImages.MaxChannelDifference(png, (await InspectAsync(polyglot)).Value.Bytes));
    }

    [Fact]
    public async Task Metadata_is_not_carried_into_the_stored_file()
    {
        var png = TestImages.WithPngChunk(TestImages.Png(40, 30), "tEXt", [.. "Comment\0home address: 1 Example Road"u8]);
        var jpeg = TestImages.WithExifOrientation(TestImages.Jpeg(40, 30), orientation: 1);

        var storedPng = (await InspectAsync(png)).Value.Bytes;
        var storedJpeg = (await InspectAsync(jpeg)).Value.Bytes;

        Assert.Equal(-1, storedPng.AsSpan().IndexOf("home address"u8));
        Assert.Equal(-1, storedJpeg.AsSpan().IndexOf("Exif\0\0"u8));
    }

    [Theory]
    [InlineData(6, "blue", "lime")] // turn 90° clockwise: the bottom-left quadrant comes to the top-left
    [InlineData(8, "lime", "blue")] // turn 90° anticlockwise: the top-right quadrant comes to the top-left
    [InlineData(3, "white", "red")] // turn 180°
    public async Task A_photo_is_stored_upright_as_its_exif_orientation_says(int orientation, string topLeft, string bottomRight)
    {
        var jpeg = TestImages.WithExifOrientation(TestImages.Quadrants(40, 20, SkiaSharp.SKEncodedImageFormat.Jpeg), orientation);

        var image = (await InspectAsync(jpeg)).Value;

        var turned = orientation is 6 or 8;
        Assert.Equal(turned ? (20, 40) : (40, 20), (image.Width, image.Height));
        var pixels = TestImages.Pixels(image.Bytes);
        Assert.Equal((image.Width, image.Height), (pixels.Width, pixels.Height));
        Assert.Equal(topLeft, ColourAt(pixels, 2, 2));
        Assert.Equal(bottomRight, ColourAt(pixels, pixels.Width - 3, pixels.Height - 3));
    }

    private static string ColourAt((int Width, int Height, byte[] Rgba) pixels, int x, int y)
    {
        var i = (y * pixels.Width + x) * 4;
        return (pixels.Rgba[i] > 128, pixels.Rgba[i + 1] > 128, pixels.Rgba[i + 2] > 128) switch
        {
            (true, false, false) => "red",
            (false, true, false) => "lime",
            (false, false, true) => "blue",
            (true, true, true) => "white",
            var other => other.ToString(),
        };
    }

    [Fact]
    public async Task A_gif_is_stored_as_a_png_of_its_first_frame()
    {
        var image = (await InspectAsync(TestImages.Gif)).Value;

        Assert.Equal(("image/png", 1, 1), (image.ContentType, image.Width, image.Height));
        Assert.Equal(TestImages.Pixels(TestImages.Gif).Rgba, TestImages.Pixels(image.Bytes).Rgba);
    }

    [Fact]
    public async Task The_pixel_budget_is_judged_from_the_header_whatever_the_format()
    {
        // 7000×7000 passes the per-side limit (8192) but is 49 megapixels: over the default 40.
        var png = await InspectAsync(TestImages.PngClaiming(7000, 7000), new MediaOptions()).AssertRefusedAsync();
        var jpeg = await InspectAsync(TestImages.Jpeg(300, 200), new MediaOptions { MaxPixels = 50_000 }).AssertRefusedAsync();

        Assert.Equal(IngestProblems.ImageDimensionsTooLarge, png.Problem);
        Assert.Contains("49 megapixels", png.Detail);
        Assert.Contains("at most 40 megapixels", png.Detail);
        Assert.Equal(IngestProblems.ImageDimensionsTooLarge, jpeg.Problem);
        Assert.Contains("300×200", jpeg.Detail);
    }

    [Fact]
    public async Task At_most_the_configured_number_of_images_are_decoded_at_once()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var changes = new ConcurrentQueue<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Name == "aisocial.media.decodes_in_progress")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => changes.Enqueue(value));
        listener.Start();
        var inspector = new ImageInspector(Options.Create(new MediaOptions { MaxConcurrentDecodes = 1 }), new IngestTelemetry(meters));
        var images = Enumerable.Range(0, 4).Select(i => TestImages.Png(2400, 2400, seed: i)).ToArray();

        var results = await Task.WhenAll(images.Select(image => Task.Run(() => inspector.InspectAsync(new MemoryStream(image), default))));

        Assert.All(results, r => Assert.Null(r.Refusal));
        var inProgress = 0L;
        var most = 0L;
        foreach (var change in changes)
        {
            inProgress += change;
            most = Math.Max(most, inProgress);
        }

        Assert.Equal(8, changes.Count); // each of the four decodes began and ended
        Assert.Equal(1, most);
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
        Assert.Equal(Sha256Of(png), (await InspectAsync(png, maxBytes: png.Length)).Value.UploadSha256);
    }

    [Fact]
    public async Task A_png_signature_on_other_content_is_corrupt_and_an_empty_file_is_missing()
    {
        byte[] lying = [.. TestImages.Png()[..8], .. TestImages.Jpeg()];
        Assert.Equal(IngestProblems.ImageCorrupt, (await InspectAsync(lying).AssertRefusedAsync()).Problem);
        Assert.Equal(IngestProblems.ImageMissing, (await InspectAsync([]).AssertRefusedAsync()).Problem);
    }
}
