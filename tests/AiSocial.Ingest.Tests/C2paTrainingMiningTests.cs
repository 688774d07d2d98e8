using AiSocial.Ingest.Media;
using AiSocial.Testing;

namespace AiSocial.Ingest.Tests;

/// <summary>
/// The C2PA/CAWG training-and-mining assertion read from uploads: each use under both labels, as CBOR and JSON, in
/// JPEG (one APP11 segment or continued over several) and PNG; unreadable when it cannot be parsed, absent when there is none.
/// </summary>
public sealed class C2paTrainingMiningTests
{
    public static TheoryData<string, string, bool> Assertions()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var label in new[] { "cawg.training-mining", "c2pa.training-mining" })
        {
            foreach (var use in new[] { "allowed", "notAllowed", "constrained" })
            {
                data.Add(label, use, true);
                data.Add(label, use, false);
            }
        }

        return data;
    }

    private static Dictionary<string, string> Entries(string use) =>
        new() { ["cawg.ai_training"] = use, ["cawg.ai_generative_training"] = "notAllowed" };

    [Theory]
    [MemberData(nameof(Assertions))]
    public void Each_use_is_read_under_either_label_from_cbor_or_json_in_jpeg_and_png(string label, string use, bool cbor)
    {
        var store = MediaTestImages.TrainingMiningStore(label, Entries(use), cbor);
        var uploads = new[]
        {
            MediaTestImages.JpegWithStore(TestImages.Jpeg(), store),
            MediaTestImages.JpegWithStore(TestImages.Jpeg(), store, partSize: 37),
            MediaTestImages.PngWithStore(TestImages.Png(), store),
        };

        foreach (var upload in uploads)
        {
            var provenance = ImageProvenance.Read(upload, ImageFormat.Detect(upload)!);

            Assert.True(provenance.MetadataReadable, provenance.Problem);
            Assert.True(provenance.C2paManifest);
            Assert.Equal(Entries(use), provenance.TrainingMining);
            Assert.Equal(provenance, ImageProvenance.FromJson(provenance.ToJson()));
            Assert.Contains($$"""
                "trainingMining":{"cawg.ai_generative_training":"notAllowed","cawg.ai_training":"{{use}}"}
                """.Trim(), provenance.ToJson());
        }
    }

    [Fact]
    public void A_manifest_without_the_assertion_records_none_and_stays_readable()
    {
        var store = MediaTestImages.TrainingMiningStore("c2pa.actions.v2", Entries("allowed"), cbor: true);

        var provenance = ImageProvenance.Read(MediaTestImages.PngWithStore(TestImages.Png(), store), ImageFormat.Png);

        Assert.True(provenance.MetadataReadable);
        Assert.Null(provenance.TrainingMining);
        Assert.DoesNotContain("trainingMining", provenance.ToJson());
    }

    [Theory]
    [InlineData("not cbor at all")]
    [InlineData("an unknown use")]
    [InlineData("no entries")]
    [InlineData("a box that runs past its end")]
    public void An_assertion_that_cannot_be_parsed_makes_the_metadata_unreadable(string corruption)
    {
        var store = corruption switch
        {
            "not cbor at all" => MediaTestImages.TrainingMiningStore("cawg.training-mining", [0xBF, 0x61, 0xFF, 0x00, 0x13], cbor: true),
            "an unknown use" => MediaTestImages.TrainingMiningStore("cawg.training-mining", Entries("perhaps"), cbor: false),
            "no entries" => MediaTestImages.TrainingMiningStore("cawg.training-mining", """{"purposes":{}}"""u8.ToArray(), cbor: false),
            _ => Truncated(MediaTestImages.TrainingMiningStore("cawg.training-mining", Entries("allowed"), cbor: true)),
        };

        var provenance = ImageProvenance.Read(MediaTestImages.JpegWithStore(TestImages.Jpeg(), store), ImageFormat.Jpeg);

        Assert.False(provenance.MetadataReadable);
        Assert.StartsWith("C2PA: ", provenance.Problem);
        Assert.StartsWith("""{"metadata":"unreadable",""", provenance.ToJson());
    }

    /// <summary>The store with its innermost box claiming more bytes than there are.</summary>
    private static byte[] Truncated(byte[] store)
    {
        var cbor = store.AsSpan().LastIndexOf("cbor"u8) - 4;
        store[cbor] = 0x7F;
        return store;
    }

    [Fact]
    public void When_both_labels_disagree_the_stricter_use_is_recorded()
    {
        var strict = MediaTestImages.TrainingMiningStore("c2pa.training-mining", new Dictionary<string, string> { ["cawg.ai_training"] = "constrained" });
        var lenient = MediaTestImages.TrainingMiningStore("cawg.training-mining", new Dictionary<string, string> { ["cawg.ai_training"] = "allowed" });
        // Both assertions in one manifest: the lenient store's assertion box goes into the strict store's assertion store.
        var combined = Combine(strict, lenient);

        var provenance = ImageProvenance.Read(MediaTestImages.PngWithStore(TestImages.Png(), combined), ImageFormat.Png);

        Assert.Equal("constrained", provenance.TrainingMining!["cawg.ai_training"]);
    }

    /// <summary>The first store with the second's (innermost) assertion box appended to its assertion store, box sizes fixed up.</summary>
    private static byte[] Combine(byte[] first, byte[] second)
    {
        // Each store nests: c2pa superbox > manifest superbox > assertion store superbox > assertion superbox, each led by its jumd.
        static int Child(byte[] box, int at) => at + 8 + (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(box.AsSpan(at + 8));
        var secondAssertionAt = Child(second, Child(second, Child(second, 0)));
        var assertion = second[secondAssertionAt..];
        var combined = new byte[first.Length + assertion.Length];
        first.CopyTo(combined, 0);
        assertion.CopyTo(combined, first.Length);
        // The three enclosing superboxes grow by the added box.
        foreach (var at in new[] { 0, Child(first, 0), Child(first, Child(first, 0)) })
        {
            var size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(combined.AsSpan(at));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(combined.AsSpan(at), size + (uint)assertion.Length);
        }

        return combined;
    }
}
