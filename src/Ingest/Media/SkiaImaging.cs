using SkiaSharp;

namespace AiSocial.Ingest.Media;

/// <summary>The pipeline on SkiaSharp: the whole image is decoded into memory (RGBA, 4 bytes a pixel), then encoded.</summary>
internal sealed class SkiaImaging : ImagingEngine
{
    public static readonly SkiaImaging Instance = new();

    public override string Name => "SkiaSharp";

    public override OpenedImage? Open(byte[] bytes, ImageFormat format)
    {
        var codec = SKCodec.Create(new MemoryStream(bytes, writable: false));
        if (codec is null || codec.EncodedFormat != SkiaFormat(format))
        {
            codec?.Dispose();
            return null;
        }

        return new Opened(codec, format);
    }

    public override (byte[] Bytes, int Width, int Height) Thumbnail(byte[] stored)
    {
        using var bitmap = SKBitmap.Decode(stored) ?? throw new InvalidDataException("The stored image cannot be decoded.");
        using var thumbnail = Scaled(bitmap, ThumbnailSide);
        return (EncodeThumbnail(thumbnail), thumbnail.Width, thumbnail.Height);
    }

    private static SKEncodedImageFormat SkiaFormat(ImageFormat format) =>
        format == ImageFormat.Png ? SKEncodedImageFormat.Png
        : format == ImageFormat.Jpeg ? SKEncodedImageFormat.Jpeg
        : format == ImageFormat.Webp ? SKEncodedImageFormat.Webp
        : SKEncodedImageFormat.Gif;

    private sealed class Opened(SKCodec codec, ImageFormat format) : OpenedImage
    {
        public override int Width => codec.Info.Width;

        public override int Height => codec.Info.Height;

        public override int Frames => Math.Max(1, codec.FrameCount);

        public override ProcessedImage? Process()
        {
            var opaque = codec.Info.AlphaType == SKAlphaType.Opaque;
            var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888,
                opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul, SKColorSpace.CreateSrgb());
            using var decoded = new SKBitmap(info);
            if (codec.GetPixels(info, decoded.GetPixels()) is not SKCodecResult.Success)
            {
                return null;
            }

            using var turned = Turned(decoded, codec.EncodedOrigin);
            var upright = turned ?? decoded;
            var stored = format.Stored;
            using var pixels = upright.PeekPixels();
            using var data = stored == ImageFormat.Jpeg
                ? pixels.Encode(new SKJpegEncoderOptions(LossyQuality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore))
                : stored == ImageFormat.Webp ? pixels.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, LossyQuality))
                : pixels.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, zLibLevel: 6));
            if (data is null)
            {
                return null;
            }

            using var thumbnail = Scaled(upright, ThumbnailSide);
            using var preview = Scaled(thumbnail, PreviewSide);
            return new ProcessedImage(data.ToArray(), stored, upright.Width, upright.Height,
                EncodeThumbnail(thumbnail), thumbnail.Width, thumbnail.Height, Rgb(preview));
        }

        public override void Dispose() => codec.Dispose();
    }

    /// <summary>A copy whose longer side is at most <paramref name="side"/>, averaged down through mipmaps (no aliasing).</summary>
    private static SKBitmap Scaled(SKBitmap source, int side)
    {
        var (width, height) = Fit(source.Width, source.Height, side);
        var scaled = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, source.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Premul));
        using var canvas = new SKCanvas(scaled);
        canvas.Clear(SKColors.Transparent);
        using var image = SKImage.FromBitmap(source);
        using var paint = new SKPaint { BlendMode = SKBlendMode.Src };
        canvas.DrawImage(image, new SKRect(0, 0, width, height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint);
        return scaled;
    }

    private static byte[] EncodeThumbnail(SKBitmap thumbnail)
    {
        using var pixels = thumbnail.PeekPixels();
        using var data = pixels.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, ThumbnailQuality))
            ?? throw new InvalidOperationException("The thumbnail could not be encoded.");
        return data.ToArray();
    }

    private static PreviewPixels Rgb(SKBitmap bitmap)
    {
        using var unpremul = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.PeekPixels().ReadPixels(unpremul.PeekPixels());
        var rgba = unpremul.GetPixelSpan();
        var rgb = new byte[bitmap.Width * bitmap.Height * 3];
        for (int i = 0, o = 0; o < rgb.Length; i += 4, o += 3)
        {
            rgb[o] = rgba[i];
            rgb[o + 1] = rgba[i + 1];
            rgb[o + 2] = rgba[i + 2];
        }

        return new PreviewPixels(bitmap.Width, bitmap.Height, rgb);
    }

    /// <summary>
    /// The bitmap as it is meant to be seen, applying the EXIF orientation that re-encoding would otherwise drop; null
    /// when it is already upright (no copy of up to 160 MiB of pixels for nothing).
    /// </summary>
    private static SKBitmap? Turned(SKBitmap source, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
        {
            return null;
        }

        var (w, h) = (source.Width, source.Height);
        var transposed = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        // Maps each stored pixel to where the viewer sees it: x' = ScaleX·x + SkewX·y + TransX, y' = SkewY·x + ScaleY·y + TransY.
        var matrix = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
            _ => SKMatrix.Identity,
        };
        var turned = new SKBitmap(source.Info.WithSize(transposed ? h : w, transposed ? w : h));
        using var canvas = new SKCanvas(turned);
        canvas.Clear(SKColors.Transparent);
        canvas.SetMatrix(matrix);
        using var paint = new SKPaint { BlendMode = SKBlendMode.Src };
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, 0, 0, SKSamplingOptions.Default, paint);
        return turned;
    }
}
