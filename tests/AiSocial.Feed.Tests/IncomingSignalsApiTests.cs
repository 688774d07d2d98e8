using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Testing;

namespace AiSocial.Feed.Tests;

/// <summary>
/// What an upload says about training, recorded through the upload API in the post's provenance: the IPTC digital
/// source type, each PLUS data-mining value, each C2PA/CAWG training-and-mining use under both labels, and a manifest
/// that cannot be read. The images are written by the tests.
/// </summary>
public sealed class IncomingSignalsApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    public static TheoryData<string> DataMiningValues =>
    [
        "DMI-UNSPECIFIED", "DMI-ALLOWED", "DMI-PROHIBITED-AIMLTRAINING", "DMI-PROHIBITED-GENAIMLTRAINING", "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
        "DMI-PROHIBITED", "DMI-PROHIBITED-SEECONSTRAINT", "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR", "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
    ];

    public static TheoryData<string, string> TrainingMiningUses()
    {
        var data = new TheoryData<string, string>();
        foreach (var label in new[] { "cawg.training-mining", "c2pa.training-mining" })
        {
            foreach (var use in new[] { "allowed", "notAllowed", "constrained" })
            {
                data.Add(label, use);
            }
        }

        return data;
    }

    private async Task<JsonElement> UploadAsync(byte[] image)
    {
        var (_, _, token) = await feed.SignUpAsync();
        var response = await feed.PostImageAsync(token, Guid.NewGuid().ToString(), image, "a picture with its own metadata");
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        return JsonDocument.Parse(await feed.ScalarAsync<string>("select provenance::text from ingest.posts where id = $1", id)).RootElement;
    }

    [Theory]
    [MemberData(nameof(DataMiningValues))]
    public async Task Each_plus_data_mining_value_and_the_source_type_are_recorded(string value)
    {
        var uri = $"http://ns.useplus.org/ldf/vocab/{value}";
        var image = MediaTestImages.JpegWithXmp(TestImages.Jpeg(seed: value.Length), MediaTestImages.Xmp(MediaTestImages.TrainedAlgorithmicMedia, uri));

        var provenance = await UploadAsync(image);

        Assert.Equal("readable", provenance.GetProperty("metadata").GetString());
        Assert.Equal(uri, provenance.GetProperty("dataMining").GetString());
        Assert.Equal(MediaTestImages.TrainedAlgorithmicMedia, provenance.GetProperty("digitalSourceType").GetString());
        Assert.False(provenance.TryGetProperty("trainingMining", out _));
    }

    [Theory]
    [MemberData(nameof(TrainingMiningUses))]
    public async Task Each_training_mining_use_is_recorded_under_either_label(string label, string use)
    {
        var entries = new Dictionary<string, string> { ["cawg.ai_training"] = use, ["cawg.data_mining"] = "allowed" };
        var uploads = new[]
        {
            MediaTestImages.JpegWithStore(TestImages.Jpeg(seed: 11), MediaTestImages.TrainingMiningStore(label, entries, cbor: true)),
            MediaTestImages.PngWithStore(TestImages.Png(seed: 12), MediaTestImages.TrainingMiningStore(label, entries, cbor: false)),
        };

        foreach (var image in uploads)
        {
            var provenance = await UploadAsync(image);

            Assert.Equal("readable", provenance.GetProperty("metadata").GetString());
            Assert.True(provenance.GetProperty("c2pa").GetBoolean());
            var recorded = provenance.GetProperty("trainingMining");
            Assert.Equal(use, recorded.GetProperty("cawg.ai_training").GetString());
            Assert.Equal("allowed", recorded.GetProperty("cawg.data_mining").GetString());
        }
    }

    [Fact]
    public async Task A_manifest_whose_assertion_cannot_be_parsed_makes_the_metadata_unreadable_and_the_upload_is_still_taken()
    {
        var corrupt = MediaTestImages.TrainingMiningStore("cawg.training-mining", [0xA1, 0x67, .. "entries"u8, 0xFF], cbor: true);

        var provenance = await UploadAsync(MediaTestImages.PngWithStore(TestImages.Png(seed: 13), corrupt));

        Assert.Equal("unreadable", provenance.GetProperty("metadata").GetString());
        Assert.StartsWith("C2PA: ", provenance.GetProperty("problem").GetString());
        Assert.False(provenance.TryGetProperty("trainingMining", out _));
    }
}
