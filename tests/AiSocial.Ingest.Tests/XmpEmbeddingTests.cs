using AiSocial.Ingest.Media;
using AiSocial.Testing;
using MetadataExtractor;
using MetadataExtractor.Formats.Xmp;
using SkiaSharp;

namespace AiSocial.Ingest.Tests;

/// <summary>
/// The XMP put into served images: in every stored format (and the WebP thumbnails), replacing what was there, read
/// back by MetadataExtractor, with the picture decoding to the very same pixels.
/// </summary>
public sealed class XmpEmbeddingTests
{
    public static TheoryData<string> Images => ["png", "png with xmp", "jpeg", "jpeg with xmp", "webp lossy", "webp lossless", "webp extended"];

    private static byte[] Image(string name) => name switch
    {
        "png" => TestImages.Png(seed: 7),
        "png with xmp" => MediaTestImages.PngWithXmp(TestImages.Png(seed: 7), MediaTestImages.Xmp(null, MediaTestImages.DataMiningProhibited)),
        "jpeg" => TestImages.Jpeg(seed: 7),
        "jpeg with xmp" => MediaTestImages.JpegWithXmp(TestImages.Jpeg(seed: 7), MediaTestImages.Xmp(null, MediaTestImages.DataMiningProhibited)),
        "webp lossy" => TestImages.Webp(seed: 7),
        "webp lossless" => Lossless(),
        _ => MediaTestImages.WebpWithC2pa(TestImages.Webp(seed: 7), 64, 48),
    };

    private static byte[] Lossless()
    {
        using var bitmap = new SKBitmap(5, 3, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        bitmap.Erase(new SKColor(10, 200, 30, 128));
        using var data = bitmap.PeekPixels().Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100));
        return data!.ToArray();
    }

    private static IReadOnlyList<XmpDirectory> Xmp(byte[] image) =>
        [.. ImageMetadataReader.ReadMetadata(new MemoryStream(image)).OfType<XmpDirectory>()];

    [Theory]
    [MemberData(nameof(Images))]
    public void The_served_packet_is_the_only_xmp_and_the_pixels_are_unchanged(string name)
    {
        var stored = Image(name);

        var served = XmpEmbedding.Replace(stored, XmpEmbedding.ServedPacket(stored, XmpEmbedding.DataMiningAllowed));

        var xmp = Assert.Single(Xmp(served));
        Assert.Empty(ImageMetadataReader.ReadMetadata(new MemoryStream(served)).Where(d => d.HasError).SelectMany(d => d.Errors));
        Assert.Equal(XmpEmbedding.TrainedAlgorithmicMedia, xmp.XmpMeta!.GetPropertyString(ImageProvenance.IptcExtensionNamespace, "DigitalSourceType"));
        Assert.Equal(XmpEmbedding.DataMiningAllowed, xmp.XmpMeta.GetPropertyString(ImageProvenance.PlusNamespace, "DataMining"));
        using var before = SKBitmap.Decode(stored);
        using var after = SKBitmap.Decode(served);
        Assert.Equal((before.Width, before.Height), (after.Width, after.Height));
        Assert.Equal(before.Bytes, after.Bytes);

        // Served again with the other value, the first packet is replaced, not added to.
        var again = XmpEmbedding.Replace(served, XmpEmbedding.ServedPacket(served, XmpEmbedding.DataMiningProhibitedAiTraining));
        Assert.Equal(XmpEmbedding.DataMiningProhibitedAiTraining,
            Assert.Single(Xmp(again)).XmpMeta!.GetPropertyString(ImageProvenance.PlusNamespace, "DataMining"));
    }

    [Fact]
    public void A_stored_source_type_and_creator_tool_are_served_as_they_are()
    {
        var generated = XmpEmbedding.Replace(TestImages.Png(), XmpEmbedding.Packet("http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia", null,
            "offline-renderer & co"));

        var served = XmpEmbedding.Replace(generated, XmpEmbedding.ServedPacket(generated, XmpEmbedding.DataMiningProhibitedAiTraining));

        var meta = Assert.Single(Xmp(served)).XmpMeta!;
        Assert.Equal("http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia", meta.GetPropertyString(ImageProvenance.IptcExtensionNamespace, "DigitalSourceType"));
        Assert.Equal("offline-renderer & co", meta.GetPropertyString("http://ns.adobe.com/xap/1.0/", "CreatorTool"));
    }

    [Fact]
    public void Bytes_that_are_not_a_walkable_image_are_served_as_they_are()
    {
        var cut = TestImages.Png()[..20];

        Assert.Same(cut, XmpEmbedding.Replace(cut, XmpEmbedding.Packet(XmpEmbedding.TrainedAlgorithmicMedia, XmpEmbedding.DataMiningAllowed)));
        Assert.Equal(TestImages.Text, XmpEmbedding.Replace(TestImages.Text, "x"));
    }
}
