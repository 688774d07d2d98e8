using SkiaSharp;

namespace AiSocial.Moderation.ContentSafety;

/// <summary>
/// What was sent for image analysis, and what was done to the post's image to make the service take it:
/// <see cref="Action"/> is <c>as-is</c>, or the steps joined with '+': <c>scaled</c> (a side over 7200 px, or still
/// over 4 MB at low quality), <c>padded</c> (a side under 50 px), <c>re-encoded</c> (as JPEG).
/// </summary>
public sealed record PreparedImage(byte[] Bytes, int Width, int Height, int OriginalWidth, int OriginalHeight, int OriginalBytes, string Action);

/// <summary>
/// Fits an image to what <c>image:analyze</c> takes: at most 4,194,304 bytes, at most 7200 px and at least 50 px a
/// side. An image already within the limits is sent as stored. A larger one is scaled to fit and re-encoded as JPEG,
/// smaller and smaller until it fits; a smaller one is centred on a transparent canvas of at least 50 × 50 px (the
/// service rejects it otherwise, and padding adds nothing it could read as unsafe).
/// </summary>
internal static class ContentSafetyImage
{
    public const int MaxBytes = 4_194_304;
    public const int MaxSide = 7200;
    public const int MinSide = 50;

    public static PreparedImage Prepare(byte[] stored, SKBitmap decoded)
    {
        int width = decoded.Width, height = decoded.Height;
        var tooLarge = width > MaxSide || height > MaxSide;
        var tooSmall = width < MinSide || height < MinSide;
        if (!tooLarge && !tooSmall && stored.Length <= MaxBytes)
        {
            return new PreparedImage(stored, width, height, width, height, stored.Length, "as-is");
        }

        var actions = new List<string>();
        SKBitmap? owned = null;
        var source = decoded;
        try
        {
            if (tooLarge)
            {
                var scale = (double)MaxSide / Math.Max(width, height);
                owned = Scale(source, scale);
                source = owned;
                actions.Add("scaled");
            }

            if (source.Width < MinSide || source.Height < MinSide)
            {
                var padded = Pad(source);
                owned?.Dispose();
                owned = padded;
                source = padded;
                actions.Add("padded");
                var png = Encode(source, SKEncodedImageFormat.Png, 100);
                if (png.Length <= MaxBytes)
                {
                    return new PreparedImage(png, source.Width, source.Height, width, height, stored.Length, string.Join('+', actions));
                }
            }

            // JPEG at falling quality, then smaller, until it fits: noise-like images can be large at any quality.
            var quality = 90;
            while (true)
            {
                var jpeg = Encode(source, SKEncodedImageFormat.Jpeg, quality);
                if (jpeg.Length <= MaxBytes)
                {
                    actions.Add("re-encoded");
                    return new PreparedImage(jpeg, source.Width, source.Height, width, height, stored.Length, string.Join('+', actions));
                }

                if (quality > 60)
                {
                    quality -= 15;
                    continue;
                }

                var smaller = Scale(source, 0.75);
                owned?.Dispose();
                owned = smaller;
                source = smaller;
                if (!actions.Contains("scaled"))
                {
                    actions.Add("scaled");
                }
            }
        }
        finally
        {
            owned?.Dispose();
        }
    }

    private static SKBitmap Scale(SKBitmap source, double scale)
    {
        var width = Math.Max(1, (int)Math.Floor(source.Width * scale));
        var height = Math.Max(1, (int)Math.Floor(source.Height * scale));
        var scaled = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(scaled);
        canvas.Clear(SKColors.Transparent);
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, new SKRect(0, 0, width, height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        return scaled;
    }

    private static SKBitmap Pad(SKBitmap source)
    {
        var width = Math.Max(MinSide, source.Width);
        var height = Math.Max(MinSide, source.Height);
        var padded = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(padded);
        canvas.Clear(SKColors.Transparent);
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, (width - source.Width) / 2f, (height - source.Height) / 2f, new SKSamplingOptions(SKFilterMode.Nearest));
        return padded;
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality) ?? throw new InvalidOperationException($"The image could not be encoded as {format}.");
        return data.ToArray();
    }
}
