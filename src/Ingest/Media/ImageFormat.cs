namespace AiSocial.Ingest.Media;

/// <summary>An image format the pipeline accepts, recognised by its magic bytes (never by name or declared type).</summary>
internal sealed record ImageFormat(string Name, string ContentType)
{
    public static readonly ImageFormat Png = new("PNG", "image/png");
    public static readonly ImageFormat Jpeg = new("JPEG", "image/jpeg");
    public static readonly ImageFormat Webp = new("WebP", "image/webp");
    public static readonly ImageFormat Gif = new("GIF", "image/gif");

    /// <summary>The format to store: what was sent, except that an animation becomes its first frame as a PNG.</summary>
    public ImageFormat Stored => this == Gif ? Png : this;

    public static ImageFormat? Detect(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return Png;
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return Jpeg;
        }

        if (bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
        {
            return Webp;
        }

        return bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8) ? Gif : null;
    }
}
