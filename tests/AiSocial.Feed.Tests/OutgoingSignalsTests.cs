using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using AiSocial.Ingest.Media;
using AiSocial.Testing;
using MetadataExtractor;
using MetadataExtractor.Formats.Xmp;

namespace AiSocial.Feed.Tests;

/// <summary>
/// What served images tell the world: XMP saying they are AI-made and whether they may be used for AI training, and a
/// TDMRep header to match, both following the author's consent as it is now, through caches and conditional requests.
/// </summary>
public sealed class OutgoingSignalsTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private const string Allowed = "http://ns.useplus.org/ldf/vocab/DMI-ALLOWED";
    private const string Prohibited = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING";

    private sealed record Served(HttpStatusCode Status, string? DataMining, string? SourceType, string? TdmReservation, EntityTagHeaderValue? ETag,
        string? CacheControl, byte[] Bytes);

    private async Task<Served> GetAsync(string url, EntityTagHeaderValue? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (ifNoneMatch is not null)
        {
            request.Headers.IfNoneMatch.Add(ifNoneMatch);
        }

        var response = await feed.Client().SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        string? dataMining = null, sourceType = null;
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var xmp = Assert.Single(ImageMetadataReader.ReadMetadata(new MemoryStream(bytes)).OfType<XmpDirectory>()).XmpMeta!;
            dataMining = xmp.GetPropertyString("http://ns.useplus.org/ldf/xmp/1.0/", "DataMining");
            sourceType = xmp.GetPropertyString("http://iptc.org/std/Iptc4xmpExt/2008-02-29/", "DigitalSourceType");
        }

        return new Served(response.StatusCode, dataMining, sourceType,
            response.Headers.TryGetValues("tdm-reservation", out var values) ? values.Single() : null,
            response.Headers.ETag, response.Headers.CacheControl?.ToString(), bytes);
    }

    private static async Task SetConsentAsync(Person person, bool granted)
    {
        var response = await person.Client.PutAsJsonAsync("/api/v1/me/consent", new { purpose = "cawg.ai_training", granted, termsVersion = "2026-11" });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("webp")]
    public async Task A_withdrawal_changes_the_served_xmp_the_tdm_header_and_the_etag_of_the_image_and_its_thumbnail(string format)
    {
        var author = await feed.PersonAsync();
        await SetConsentAsync(author, granted: true);
        var image = format switch
        {
            "png" => TestImages.Png(seed: 601),
            "jpeg" => TestImages.Jpeg(seed: 602),
            _ => TestImages.Webp(seed: 603),
        };
        var post = await feed.Get<Ingest.Posts.PostStore>().GetAsync(await feed.PublishedPostAsync(author, image: image), default);
        var sha256 = post!.Media.Sha256;

        foreach (var url in new[] { $"/media/{sha256}", $"/media/{sha256}/thumb" })
        {
            var consenting = await GetAsync(url);
            Assert.Equal((HttpStatusCode.OK, Allowed, XmpEmbedding.TrainedAlgorithmicMedia, "0"),
                (consenting.Status, consenting.DataMining, consenting.SourceType, consenting.TdmReservation));
            Assert.Equal("public, no-cache", consenting.CacheControl);
            var revalidated = await GetAsync(url, consenting.ETag);
            Assert.Equal((HttpStatusCode.NotModified, "0"), (revalidated.Status, revalidated.TdmReservation));
            Assert.Empty(revalidated.Bytes);
        }

        var beforeImage = await GetAsync($"/media/{sha256}");
        var beforeThumb = await GetAsync($"/media/{sha256}/thumb");
        await SetConsentAsync(author, granted: false);

        // A cache holding the consenting copy asks again and gets the new one, with a new ETag.
        foreach (var (url, before) in new[] { ($"/media/{sha256}", beforeImage), ($"/media/{sha256}/thumb", beforeThumb) })
        {
            var withdrawn = await GetAsync(url, before.ETag);
            Assert.Equal((HttpStatusCode.OK, Prohibited, XmpEmbedding.TrainedAlgorithmicMedia, "1"),
                (withdrawn.Status, withdrawn.DataMining, withdrawn.SourceType, withdrawn.TdmReservation));
            Assert.NotEqual(before.ETag, withdrawn.ETag);
            Assert.Equal(HttpStatusCode.NotModified, (await GetAsync(url, withdrawn.ETag)).Status);
            Assert.Equal(TestImages.Pixels(before.Bytes).Rgba, TestImages.Pixels(withdrawn.Bytes).Rgba);
        }

        // The stored original is untouched: its hash is still its name.
        var stored = await File.ReadAllBytesAsync(feed.Get<MediaStore>().PathFor(sha256));
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(stored)));

        await SetConsentAsync(author, granted: true);
        var granted = await GetAsync($"/media/{sha256}");
        Assert.Equal((Allowed, "0", beforeImage.ETag), (granted.DataMining, granted.TdmReservation, granted.ETag));
    }

    [Fact]
    public async Task An_author_who_never_answered_or_a_post_that_opted_out_is_served_as_prohibited()
    {
        var silent = await feed.PersonAsync();
        var silentPost = await feed.Get<Ingest.Posts.PostStore>().GetAsync(await feed.PublishedPostAsync(silent), default);
        var consenting = await feed.PersonAsync();
        await SetConsentAsync(consenting, granted: true);
        var optedOut = await feed.PublishedPostAsync(consenting);
        await feed.ExecuteAsync("update ingest.posts set allow_training = false where id = $1", optedOut);
        var optedOutPost = await feed.Get<Ingest.Posts.PostStore>().GetAsync(optedOut, default);

        foreach (var sha256 in new[] { silentPost!.Media.Sha256, optedOutPost!.Media.Sha256 })
        {
            var served = await GetAsync($"/media/{sha256}");
            Assert.Equal((Prohibited, "1"), (served.DataMining, served.TdmReservation));
        }
    }
}
