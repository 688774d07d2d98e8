using System.Text.Json;
using AiSocial.Ingest.Media;
using AiSocial.Ingest.Posts;
using AiSocial.SafetyModels.Pdq;
using AiSocial.Testing;

namespace AiSocial.Ingest.Tests;

/// <summary>What a submitted post leaves in the database and on disk beside the image: the media row's PDQ hash, placeholder and frames, the thumbnail, the post's provenance.</summary>
public sealed class MediaRowTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private async Task<Post> SubmitAsync(byte[] image, string key)
    {
        var author = await platform.CreateAccountAsync();
        return (await platform.Get<PostSubmissions>().SubmitAsync(author.Id, key, new PostDraft("a fox", null), new MemoryStream(image), default)).Value.Post;
    }

    [Fact]
    public async Task The_media_row_holds_the_pdq_hash_of_the_stored_pixels_the_placeholder_and_the_frame_count()
    {
        var post = await SubmitAsync(MediaTestImages.AnimatedGif(frames: 3), "gif");
        var photo = await SubmitAsync(TestImages.Jpeg(400, 300, seed: 41), "photo");

        foreach (var (stored, frames) in new[] { (post, 3), (photo, 1) })
        {
            var file = await platform.Get<MediaStore>().ReadAllBytesAsync(stored.Media.Sha256, default);
            var pdq = PdqHasher.Compute(file);
            Assert.Equal(Convert.FromHexString(pdq.Hash.ToHex()),
                await platform.ScalarAsync<byte[]>("select pdq_hash from ingest.media where sha256 = $1", stored.Media.Sha256));
            Assert.Equal(pdq.Quality, await platform.ScalarAsync<int>("select pdq_quality from ingest.media where sha256 = $1", stored.Media.Sha256));
            Assert.Equal(frames, await platform.ScalarAsync<int>("select frame_count from ingest.media where sha256 = $1", stored.Media.Sha256));
            Assert.NotNull(stored.Media.Placeholder);
            Assert.Equal(stored.Media.Placeholder, await platform.ScalarAsync<string>("select placeholder from ingest.media where sha256 = $1", stored.Media.Sha256));
        }
    }

    [Fact]
    public async Task The_thumbnail_is_stored_beside_the_image_when_the_post_is_recorded()
    {
        var post = await SubmitAsync(TestImages.Png(1000, 600, seed: 42), "thumb");

        var thumbnail = await File.ReadAllBytesAsync(platform.Get<MediaStore>().ThumbnailPathFor(post.Media.Sha256));

        Assert.Equal(ImageFormat.Webp, ImageFormat.Detect(thumbnail));
        Assert.Equal((512, 307), (TestImages.Pixels(thumbnail).Width, TestImages.Pixels(thumbnail).Height));
    }

    [Fact]
    public async Task The_provenance_read_from_the_upload_is_recorded_with_the_post()
    {
        var xmp = MediaTestImages.Xmp(MediaTestImages.TrainedAlgorithmicMedia, MediaTestImages.DataMiningProhibited);
        var labelled = await SubmitAsync(MediaTestImages.JpegWithC2pa(MediaTestImages.JpegWithXmp(TestImages.Jpeg(seed: 43), xmp)), "labelled");
        var corrupt = await SubmitAsync(MediaTestImages.JpegWithCorruptXmp(TestImages.Jpeg(seed: 44)), "corrupt");

        var recorded = JsonDocument.Parse(await platform.ScalarAsync<string>("select provenance::text from ingest.posts where id = $1", labelled.Id)).RootElement;
        Assert.Equal("readable", recorded.GetProperty("metadata").GetString());
        Assert.Equal(MediaTestImages.TrainedAlgorithmicMedia, recorded.GetProperty("digitalSourceType").GetString());
        Assert.Equal(MediaTestImages.DataMiningProhibited, recorded.GetProperty("dataMining").GetString());
        Assert.True(recorded.GetProperty("c2pa").GetBoolean());

        Assert.Equal("unreadable", await platform.ScalarAsync<string>("select provenance->>'metadata' from ingest.posts where id = $1", corrupt.Id));
        Assert.Equal(PostStatus.Pending, corrupt.Status);
    }

    [Fact]
    public async Task A_row_stored_before_the_pipeline_learnt_these_gets_them_when_its_image_comes_again()
    {
        var image = TestImages.Png(seed: 45);
        var first = await SubmitAsync(image, "old");
        await platform.ExecuteAsync("update ingest.media set pdq_hash = null, pdq_quality = null, placeholder = null where sha256 = $1", first.Media.Sha256);

        var second = await SubmitAsync(image, "again");

        Assert.Equal(first.Media.Sha256, second.Media.Sha256);
        Assert.NotNull(second.Media.Placeholder);
        Assert.Equal(32, (await platform.ScalarAsync<byte[]>("select pdq_hash from ingest.media where sha256 = $1", first.Media.Sha256)).Length);
    }
}
