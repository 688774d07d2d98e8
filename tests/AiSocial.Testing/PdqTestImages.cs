using SkiaSharp;
using Xunit;

namespace AiSocial.Testing;

/// <summary>Meta's PDQ reference images (shared/testdata/pdq) and the edits the tests make to them.</summary>
public static class PdqTestImages
{
    public static string Directory { get; } = Path.GetFullPath(Path.Combine(RepositoryRoot.Path, "..", "shared", "testdata", "pdq"));

    /// <summary>Every reference image with the hash Meta's implementation gives it, from expected.csv.</summary>
    public static IReadOnlyList<(string File, string Hex)> Expected { get; } =
    [
        .. File.ReadAllLines(Path.Combine(Directory, "expected.csv")).Skip(1)
            .Where(line => line.Length > 0)
            .Select(line => line.Split(','))
            .Select(fields => (fields[0], fields[1])),
    ];

    /// <summary>
    /// Reference images that are photos with plenty of structure. Not q0122, a calm sea under a clear sky: most of its
    /// DCT coefficients are close to their median, so resizing it moves 30–80 bits (PDQ's weakness, not a bug).
    /// </summary>
    public static IReadOnlyList<string> Photos { get; } =
    [
        "misc-images_c.png", "reg-test-input_labelme-subset_q0291.jpg", "reg-test-input_labelme-subset_q0746.jpg",
        "reg-test-input_labelme-subset_q1050.jpg", "reg-test-input_labelme-subset_q2821.jpg",
    ];

    public static byte[] Bytes(string file) => File.ReadAllBytes(Path.Combine(Directory, file));

    public static SKBitmap Decode(byte[] bytes)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(bytes)) ?? throw new InvalidDataException("not an image");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, bitmap.GetPixels()));
        return bitmap;
    }

    /// <summary>The image scaled by <paramref name="scale"/> and saved as a JPEG of the given quality.</summary>
    public static byte[] ResizedJpeg(byte[] image, double scale, int quality)
    {
        using var bitmap = Decode(image);
        var info = new SKImageInfo(
            (int)Math.Round(bitmap.Width * scale), (int)Math.Round(bitmap.Height * scale), SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var resized = bitmap.Resize(info, new SKSamplingOptions(SKCubicResampler.Mitchell));
        using var encoded = resized.Encode(SKEncodedImageFormat.Jpeg, quality);
        return encoded.ToArray();
    }
}
