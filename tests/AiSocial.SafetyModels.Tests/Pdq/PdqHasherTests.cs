using AiSocial.SafetyModels.Pdq;
using AiSocial.Testing;
using SkiaSharp;
using Xunit.Abstractions;

namespace AiSocial.SafetyModels.Tests.Pdq;

public sealed class PdqHasherTests(ITestOutputHelper output)
{
    // The reference implementations' own tolerance between one another (decoders and resampling differ).
    private const int ConformanceTolerance = 16;

    [Fact]
    public void Every_reference_image_hashes_within_16_bits_of_Metas_hash()
    {
        Assert.NotEmpty(PdqTestImages.Expected);
        var failures = new List<string>();
        foreach (var (file, hex) in PdqTestImages.Expected)
        {
            var result = PdqHasher.Compute(PdqTestImages.Bytes(file));
            var distance = result.Hash.DistanceTo(PdqHash.Parse(hex));
            output.WriteLine($"{file,-42} distance {distance,3}  quality {result.Quality,3}  {result.Hash}");
            if (distance > ConformanceTolerance)
            {
                failures.Add($"{file}: {distance} bits from {hex}");
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public void A_flat_image_has_low_quality_and_a_photo_high()
    {
        using var flat = new SKBitmap(new SKImageInfo(300, 200, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        flat.Erase(new SKColor(90, 140, 200));

        var flatQuality = PdqHasher.Compute(flat).Quality;

        output.WriteLine($"flat: {flatQuality}");
        Assert.True(flatQuality <= 49, $"quality {flatQuality}");
        Assert.False(PdqHasher.Compute(flat).IsUsable);
        foreach (var photo in PdqTestImages.Photos)
        {
            var quality = PdqHasher.Compute(PdqTestImages.Bytes(photo)).Quality;
            output.WriteLine($"{photo}: {quality}");
            Assert.True(quality >= 80, $"{photo}: quality {quality}");
        }
    }

    [Theory]
    [InlineData(0.5, 85)]
    [InlineData(0.75, 60)]
    [InlineData(1.0, 40)]
    [InlineData(2.0, 90)]
    public void A_resized_recompressed_copy_stays_a_match_and_other_photos_do_not(double scale, int jpegQuality)
    {
        var hashes = PdqTestImages.Photos.ToDictionary(photo => photo, photo => PdqHasher.Compute(PdqTestImages.Bytes(photo)).Hash);
        foreach (var photo in PdqTestImages.Photos)
        {
            var copy = PdqHasher.Compute(PdqTestImages.ResizedJpeg(PdqTestImages.Bytes(photo), scale, jpegQuality));
            var distance = copy.Hash.DistanceTo(hashes[photo]);
            var nearestOther = hashes.Where(h => h.Key != photo).Min(h => copy.Hash.DistanceTo(h.Value));
            output.WriteLine($"{photo,-42} copy ×{scale} q{jpegQuality}: {distance,3} bits; nearest other photo {nearestOther,3}");
            Assert.InRange(distance, 0, PdqIndex.DefaultMaxDistance);
            Assert.True(nearestOther > PdqIndex.DefaultMaxDistance, $"{photo}: another photo at {nearestOther}");
        }
    }

    [Fact]
    public void Pixel_layout_does_not_change_the_hash()
    {
        using var rgba = PdqTestImages.Decode(PdqTestImages.Bytes("reg-test-input_labelme-subset_q1050.jpg"));
        using var bgra = rgba.Copy(SKColorType.Bgra8888);
        using var premultiplied = new SKBitmap(new SKImageInfo(rgba.Width, rgba.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        Assert.True(rgba.PeekPixels().ReadPixels(premultiplied.PeekPixels()));

        var expected = PdqHasher.Compute(rgba);

        Assert.Equal(SKColorType.Bgra8888, bgra.ColorType);
        Assert.Equal(expected, PdqHasher.Compute(bgra));
        Assert.Equal(expected, PdqHasher.Compute(premultiplied));
    }

    [Fact]
    public void Something_that_is_not_an_image_is_refused_clearly()
    {
        Assert.Throws<InvalidDataException>(() => PdqHasher.Compute("not an image at all"u8.ToArray()));
        using var empty = new SKBitmap();
        Assert.Throws<ArgumentException>(() => PdqHasher.Compute(empty));
    }
}
