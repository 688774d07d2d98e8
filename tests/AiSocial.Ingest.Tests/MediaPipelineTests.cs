using AiSocial.Ingest.Media;
using AiSocial.Problems;
using AiSocial.SafetyModels.Pdq;
using AiSocial.Testing;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace AiSocial.Ingest.Tests;

/// <summary>
/// What the pipeline adds to validation, on both imaging libraries it can run on: the frame limit, provenance read
/// before stripping, GPS and trailing bytes gone, the thumbnail, the placeholder and the PDQ hash.
/// </summary>
public sealed class MediaPipelineTests
{
    public static TheoryData<ImagingLibrary> Libraries => [ImagingLibrary.Vips, ImagingLibrary.Skia];

    private static Task<Outcome<InspectedImage>> InspectAsync(byte[] bytes, ImagingLibrary library, int maxFrames = 500) =>
        new ImageInspector(Options.Create(new MediaOptions { Library = library, MaxFrames = maxFrames })).InspectAsync(new MemoryStream(bytes), default);

    [Theory]
    [MemberData(nameof(Libraries))]
    public async Task An_animation_with_more_frames_than_allowed_is_refused_and_one_within_the_limit_is_stored_as_its_first_frame(ImagingLibrary library)
    {
        var gif = await InspectAsync(MediaTestImages.AnimatedGif(frames: 4), library, maxFrames: 3).AssertRefusedAsync();
        var webp = await InspectAsync(MediaTestImages.AnimatedWebp(frames: 4), library, maxFrames: 3).AssertRefusedAsync();

        Assert.Equal(IngestProblems.ImageTooManyFrames, gif.Problem);
        Assert.Equal(422, gif.Problem.Status);
        Assert.Contains("4 frames", gif.Detail);
        Assert.Contains("at most 3", gif.Detail);
        Assert.Equal(IngestProblems.ImageTooManyFrames, webp.Problem);

        var storedGif = (await InspectAsync(MediaTestImages.AnimatedGif(frames: 3), library, maxFrames: 3)).Value;
        var storedWebp = (await InspectAsync(MediaTestImages.AnimatedWebp(frames: 3), library, maxFrames: 3)).Value;
        Assert.Equal(("image/png", 3, 1, 1), (storedGif.ContentType, storedGif.Frames, storedGif.Width, storedGif.Height));
        Assert.Equal(("image/webp", 3, 4, 4), (storedWebp.ContentType, storedWebp.Frames, storedWebp.Width, storedWebp.Height));
        Assert.Equal(1, MediaTestImages.Frames(storedWebp.Bytes));
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public async Task The_iptc_source_type_and_the_data_mining_permission_are_read_from_xmp_before_it_is_stripped(ImagingLibrary library)
    {
        var xmp = MediaTestImages.Xmp(MediaTestImages.TrainedAlgorithmicMedia, MediaTestImages.DataMiningProhibited);

        foreach (var upload in new[] { MediaTestImages.PngWithXmp(TestImages.Png(), xmp), MediaTestImages.JpegWithXmp(TestImages.Jpeg(), xmp) })
        {
            var image = (await InspectAsync(upload, library)).Value;

            Assert.Equal(new ImageProvenance(true, MediaTestImages.TrainedAlgorithmicMedia, MediaTestImages.DataMiningProhibited, false), image.Provenance);
            Assert.Equal(-1, image.Bytes.AsSpan().IndexOf("trainedAlgorithmicMedia"u8));
        }
    }

    [Fact]
    public async Task Only_what_is_present_is_recorded()
    {
        var onlySource = MediaTestImages.PngWithXmp(TestImages.Png(), MediaTestImages.Xmp("http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture", null));

        var plain = (await InspectAsync(TestImages.Png(), ImagingLibrary.Vips)).Value.Provenance;
        var source = (await InspectAsync(onlySource, ImagingLibrary.Vips)).Value.Provenance;

        Assert.Equal(new ImageProvenance(true, null, null, false), plain);
        Assert.Equal("""{"metadata":"readable","c2pa":false}""", plain.ToJson());
        Assert.Equal(new ImageProvenance(true, "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture", null, false), source);
    }

    [Fact]
    public async Task A_c2pa_manifest_store_is_recognised_where_each_format_embeds_it()
    {
        var uploads = new[]
        {
            MediaTestImages.JpegWithC2pa(TestImages.Jpeg()),
            MediaTestImages.PngWithC2pa(TestImages.Png()),
            MediaTestImages.WebpWithC2pa(TestImages.Webp(), 64, 48),
        };

        foreach (var upload in uploads)
        {
            var image = (await InspectAsync(upload, ImagingLibrary.Vips)).Value;
            Assert.True(image.Provenance.C2paManifest);
            Assert.True(image.Provenance.MetadataReadable);
            Assert.Equal(-1, image.Bytes.AsSpan().IndexOf("jumb"u8));
        }

        Assert.False((await InspectAsync(TestImages.Jpeg(), ImagingLibrary.Vips)).Value.Provenance.C2paManifest);
        Assert.False((await InspectAsync(TestImages.Webp(), ImagingLibrary.Vips)).Value.Provenance.C2paManifest);
    }

    [Fact]
    public void Looking_for_c2pa_in_cut_or_lying_files_never_fails()
    {
        var files = new[]
        {
            MediaTestImages.JpegWithC2pa(TestImages.Jpeg()),
            MediaTestImages.PngWithC2pa(TestImages.Png()),
            MediaTestImages.WebpWithC2pa(TestImages.Webp(), 64, 48),
        };
        var random = new Random(5);
        foreach (var file in files)
        {
            var format = ImageFormat.Detect(file)!;
            for (var cut = 0; cut < file.Length; cut += 7)
            {
                ImageProvenance.HasC2paManifest(file.AsSpan(0, cut), format);
            }

            for (var i = 0; i < 200; i++)
            {
                var lying = file.ToArray();
                lying[random.Next(8, Math.Min(lying.Length, 120))] = 0xFF; // lengths and sizes become huge
                ImageProvenance.HasC2paManifest(lying, format);
                _ = ImageProvenance.Read(lying, format);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public async Task Metadata_that_cannot_be_read_is_recorded_as_unreadable_and_the_image_is_still_accepted(ImagingLibrary library)
    {
        foreach (var upload in new[] { MediaTestImages.JpegWithCorruptXmp(TestImages.Jpeg()), MediaTestImages.JpegWithCorruptExif(TestImages.Jpeg()) })
        {
            var provenance = (await InspectAsync(upload, library)).Value.Provenance;

            Assert.False(provenance.MetadataReadable);
            Assert.NotNull(provenance.Problem);
            Assert.StartsWith("""{"metadata":"unreadable",""", provenance.ToJson());
            Assert.Equal(provenance, ImageProvenance.FromJson(provenance.ToJson()));
        }
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public async Task Gps_position_and_bytes_after_the_image_are_not_stored(ImagingLibrary library)
    {
        var upload = MediaTestImages.JpegWithGpsAndTrailingBytes(TestImages.Jpeg(80, 60), [.. "PK\u0003\u0004 hidden archive"u8]);
        Assert.Contains(ImageMetadataReader.ReadMetadata(new MemoryStream(upload)).OfType<GpsDirectory>(), d => d.TagCount > 0);

        var stored = (await InspectAsync(upload, library)).Value.Bytes;

        Assert.Empty(ImageMetadataReader.ReadMetadata(new MemoryStream(stored)).OfType<GpsDirectory>());
        Assert.Empty(ImageMetadataReader.ReadMetadata(new MemoryStream(stored)).OfType<ExifIfd0Directory>());
        Assert.Equal(-1, stored.AsSpan().IndexOf("Exif\0\0"u8));
        Assert.Equal(-1, stored.AsSpan().IndexOf("hidden archive"u8));
        Assert.True(stored.AsSpan().EndsWith((ReadOnlySpan<byte>)[0xFF, 0xD9]));
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public async Task The_thumbnail_is_a_webp_at_most_512_px_on_its_longer_side_upright_and_never_enlarged(ImagingLibrary library)
    {
        // Stored 1200×700 but turned a quarter by EXIF: seen 700×1200, so the thumbnail is 299×512.
        var turned = TestImages.WithExifOrientation(TestImages.Quadrants(1200, 700, SKEncodedImageFormat.Jpeg), 6);
        var large = (await InspectAsync(turned, library)).Value;
        var small = (await InspectAsync(TestImages.Png(120, 80), library)).Value;

        Assert.Equal(ImageFormat.Detect(large.Thumbnail), ImageFormat.Webp);
        var thumbnail = TestImages.Pixels(large.Thumbnail);
        Assert.Equal(512, thumbnail.Height);
        Assert.InRange(thumbnail.Width, 298, 300);
        Assert.Equal((120, 80), (TestImages.Pixels(small.Thumbnail).Width, TestImages.Pixels(small.Thumbnail).Height));
        // Upright as the stored image: blue (bottom-left as stored) comes to the top-left.
        var topLeft = (thumbnail.Rgba[(20 * thumbnail.Width + 20) * 4], thumbnail.Rgba[(20 * thumbnail.Width + 20) * 4 + 2]);
        Assert.True(topLeft.Item1 < 60 && topLeft.Item2 > 190, $"top-left is {topLeft}, not blue");
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public async Task The_placeholder_is_a_blurhash_whose_average_colour_is_the_pictures(ImagingLibrary library)
    {
        var image = (await InspectAsync(Solid(300, 200, new SKColor(200, 40, 90)), library)).Value;

        Assert.NotNull(image.Placeholder);
        Assert.Matches("^[0-9A-Za-z#$%*+,.:;=?@\\[\\]^_{|}~-]{28}$", image.Placeholder);
        Assert.Equal('L', image.Placeholder[0]); // 4×3 components: (4 − 1) + (3 − 1) × 9 = 21 = "L"
        var (r, g, b) = Placeholder.AverageColour(image.Placeholder);
        Assert.InRange(r, 195, 205);
        Assert.InRange(g, 35, 45);
        Assert.InRange(b, 85, 95);
    }

    [Fact]
    public void The_blurhash_encoder_matches_the_reference_on_a_known_picture()
    {
        // Left half black, right half white, 8×4: the DC is mid-grey in linear light and the first horizontal component carries the edge.
        var rgb = new byte[8 * 4 * 3];
        for (var y = 0; y < 4; y++)
        {
            for (var x = 4; x < 8; x++)
            {
                rgb.AsSpan((y * 8 + x) * 3, 3).Fill(255);
            }
        }

        var hash = Placeholder.Encode(new PreviewPixels(8, 4, rgb));

        Assert.Equal(28, hash.Length);
        Assert.Equal((188, 188, 188), Placeholder.AverageColour(hash)); // linear 0.5 is sRGB 188
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public async Task The_pdq_hash_is_the_hash_of_the_stored_pixels(ImagingLibrary library)
    {
        foreach (var upload in new[] { TestImages.Png(300, 200, seed: 5), TestImages.Jpeg(300, 200, seed: 6) })
        {
            var image = (await InspectAsync(upload, library)).Value;

            Assert.Equal(PdqHasher.Compute(image.Bytes), image.Pdq);
            Assert.True(image.Pdq.Quality > 0);
        }
    }

    [Fact]
    public async Task Both_libraries_store_the_same_picture()
    {
        var upload = TestImages.WithExifOrientation(TestImages.Quadrants(64, 32, SKEncodedImageFormat.Jpeg), 8);

        var vips = (await InspectAsync(upload, ImagingLibrary.Vips)).Value;
        var skia = (await InspectAsync(upload, ImagingLibrary.Skia)).Value;

        Assert.Equal((vips.Width, vips.Height, vips.ContentType), (skia.Width, skia.Height, skia.ContentType));
        Assert.InRange(TestImages.MaxChannelDifference(vips.Bytes, skia.Bytes), 0, 40);
        Assert.InRange(vips.Pdq.Hash.DistanceTo(skia.Pdq.Hash), 0, 16);
    }

    private static byte[] Solid(int width, int height, SKColor colour)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(colour);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
