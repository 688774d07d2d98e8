using NetVips;

namespace AiSocial.Ingest.Media;

/// <summary>
/// The pipeline on libvips (through NetVips): the upload is decoded as a stream of tiles straight into the encoder, so
/// a large image never sits whole in memory unless turning it upright needs that, and the thumbnail is made from the
/// stored file with shrink-on-load (a JPEG is decoded at up to 1/8 scale).
/// </summary>
internal sealed class VipsImaging : ImagingEngine
{
    public static readonly VipsImaging Instance = new();

    static VipsImaging()
    {
        // Results of operations are not kept for reuse: every upload is new, and a cache would only hold memory.
        Cache.Max = 0;
        // Only the loaders named below ever see an upload; the untrusted ones (ImageMagick, PDF, SVG…) stay off everywhere.
        NetVips.NetVips.BlockUntrusted = true;
    }

    public override string Name => "libvips";

    public override OpenedImage? Open(byte[] bytes, ImageFormat format)
    {
        try
        {
            var image = Load(bytes, format, Enums.Access.Sequential);
            return new Opened(bytes, format, image);
        }
        catch (VipsException)
        {
            return null;
        }
    }

    public override (byte[] Bytes, int Width, int Height) Thumbnail(byte[] stored)
    {
        using var thumbnail = Image.ThumbnailBuffer(stored, ThumbnailSide, height: ThumbnailSide, size: Enums.Size.Down, failOn: Enums.FailOn.Error);
        return (EncodeThumbnail(thumbnail), thumbnail.Width, thumbnail.Height);
    }

    /// <summary>The format's own loader, never libvips' sniffing: a PNG signature on JPEG content is not a PNG.</summary>
    private static Image Load(byte[] bytes, ImageFormat format, Enums.Access access) =>
        format == ImageFormat.Png ? Image.PngloadBuffer(bytes, access: access, failOn: Enums.FailOn.Error)
        : format == ImageFormat.Jpeg ? Image.JpegloadBuffer(bytes, access: access, failOn: Enums.FailOn.Error)
        : format == ImageFormat.Webp ? Image.WebploadBuffer(bytes, access: access, failOn: Enums.FailOn.Error)
        : Image.GifloadBuffer(bytes, access: access, failOn: Enums.FailOn.Error);

    private sealed class Opened(byte[] bytes, ImageFormat format, Image image) : OpenedImage
    {
        public override int Width => image.Width;

        public override int Height => image.PageHeight;

        public override int Frames => image.Contains("n-pages") ? Math.Max(1, (int)image.Get("n-pages")) : 1;

        public override ProcessedImage? Process()
        {
            try
            {
                var orientation = image.Contains("orientation") ? (int)image.Get("orientation") : 1;
                // Turning needs the whole picture: only then is it decoded with random access (into memory).
                using var source = orientation is > 1 and <= 8 ? Load(bytes, format, Enums.Access.Random) : null;
                using var upright = (source ?? image).Autorot();
                using var srgb = ToSrgb(upright);
                var stored = format.Stored;
                var encoded = stored == ImageFormat.Jpeg
                    ? srgb.JpegsaveBuffer(q: LossyQuality, subsampleMode: Enums.ForeignSubsample.On, keep: Enums.ForeignKeep.None)
                    : stored == ImageFormat.Webp ? srgb.WebpsaveBuffer(q: LossyQuality, keep: Enums.ForeignKeep.None)
                    : srgb.PngsaveBuffer(compression: 6, filter: Enums.ForeignPngFilter.All, keep: Enums.ForeignKeep.None);

                // Small enough to keep in memory, where both the thumbnail's encoder and the placeholder read it.
                using var streamed = Image.ThumbnailBuffer(encoded, ThumbnailSide, height: ThumbnailSide, size: Enums.Size.Down);
                using var thumbnail = streamed.CopyMemory();
                using var preview = thumbnail.ThumbnailImage(PreviewSide, height: PreviewSide, size: Enums.Size.Down);
                using var rgb = preview.Bands > 3 ? preview.ExtractBand(0, n: 3) : preview.Bands < 3 ? preview.Colourspace(Enums.Interpretation.Srgb) : null;
                return new ProcessedImage(encoded, stored, srgb.Width, srgb.Height, EncodeThumbnail(thumbnail), thumbnail.Width, thumbnail.Height,
                    new PreviewPixels(preview.Width, preview.Height, (rgb ?? preview).WriteToMemory<byte>()));
            }
            catch (VipsException)
            {
                return null;
            }
        }

        public override void Dispose() => image.Dispose();
    }

    /// <summary>8-bit sRGB (with its alpha, if any), through the embedded ICC profile when there is one.</summary>
    private static Image ToSrgb(Image image)
    {
        var converted = image.Contains("icc-profile-data")
            ? image.IccTransform("srgb", intent: Enums.Intent.Perceptual, embedded: true)
            : image.Colourspace(Enums.Interpretation.Srgb);
        if (converted.Format == Enums.BandFormat.Uchar)
        {
            return converted;
        }

        using (converted)
        {
            return converted.Cast(Enums.BandFormat.Uchar, shift: true);
        }
    }

    private static byte[] EncodeThumbnail(Image thumbnail) =>
        thumbnail.WebpsaveBuffer(q: ThumbnailQuality, keep: Enums.ForeignKeep.None);
}
