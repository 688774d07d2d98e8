using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Ingest.Media;
using AiSocial.Ingest.Posts;
using AiSocial.Testing;

namespace AiSocial.Feed.Tests;

/// <summary>The media pipeline as clients meet it: thumbnails, placeholders, caching and the frame limit.</summary>
public sealed class MediaPipelineApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private async Task<Post> PublishedPostAsync(byte[] image)
    {
        var post = await feed.SubmitPostAsync((await feed.CreateAccountAsync()).Id, image);
        await using var connection = await feed.DataSource.OpenConnectionAsync();
        await PostStore.TransitionAsync(connection, post.Id, PostStatus.Published, [PostStatus.Pending], default);
        return post;
    }

    [Fact]
    public async Task A_published_images_thumbnail_is_a_webp_of_at_most_512_px_revalidated_and_304_when_unchanged()
    {
        var post = await PublishedPostAsync(TestImages.Png(1600, 900, seed: 90));

        var response = await feed.Client().GetAsync($"/media/{post.Media.Sha256}/thumb");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
        var thumbnail = TestImages.Pixels(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((512, 288), (thumbnail.Width, thumbnail.Height));
        Assert.Equal("public, no-cache", response.Headers.CacheControl!.ToString());
        var etag = response.Headers.ETag!;
        Assert.NotEqual($"\"{post.Media.Sha256}\"", etag.Tag); // the thumbnail is not the image

        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"/media/{post.Media.Sha256}/thumb");
        conditional.Headers.IfNoneMatch.Add(etag);
        var notModified = await feed.Client().SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task The_image_itself_answers_304_to_its_etag_and_200_to_another()
    {
        var post = await PublishedPostAsync(TestImages.Jpeg(200, 100, seed: 91));

        using var same = new HttpRequestMessage(HttpMethod.Get, $"/media/{post.Media.Sha256}");
        same.Headers.IfNoneMatch.Add((await feed.Client().GetAsync($"/media/{post.Media.Sha256}")).Headers.ETag!);
        using var other = new HttpRequestMessage(HttpMethod.Get, $"/media/{post.Media.Sha256}");
        other.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));

        var notModified = await feed.Client().SendAsync(same);
        var full = await feed.Client().SendAsync(other);

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal("public, no-cache", notModified.Headers.CacheControl!.ToString());
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal("image/jpeg", full.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_thumbnail_of_an_unpublished_post_is_its_authors_only()
    {
        var author = await feed.SignUpAsync();
        var response = await feed.PostImageAsync(author.Token, "thumb", TestImages.Png(seed: 92), "pending thumbnail");
        var thumbUrl = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("thumbUrl").GetString()!;

        await (await feed.Client().GetAsync(thumbUrl)).AssertProblemAsync(404, "not-found");
        await (await feed.Client((await feed.SignUpAsync()).Token).GetAsync(thumbUrl)).AssertProblemAsync(404, "not-found");
        var own = await feed.Client(author.Token).GetAsync(thumbUrl);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.True(own.Headers.CacheControl is { Private: true, NoStore: true, Public: false });
    }

    [Fact]
    public async Task An_image_stored_before_thumbnails_existed_gets_one_on_first_request()
    {
        var post = await PublishedPostAsync(TestImages.Png(700, 700, seed: 93));
        var path = feed.Get<MediaStore>().ThumbnailPathFor(post.Media.Sha256);
        File.Delete(path);

        var response = await feed.Client().GetAsync($"/media/{post.Media.Sha256}/thumb");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var thumbnail = TestImages.Pixels(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((512, 512), (thumbnail.Width, thumbnail.Height));
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task A_deleted_posts_image_and_thumbnail_are_no_longer_served_to_others()
    {
        var post = await PublishedPostAsync(TestImages.Png(seed: 94));
        await feed.ExecuteAsync("update ingest.posts set deleted_at = now() where id = $1", post.Id);

        await (await feed.Client().GetAsync($"/media/{post.Media.Sha256}")).AssertProblemAsync(404, "not-found");
        await (await feed.Client().GetAsync($"/media/{post.Media.Sha256}/thumb")).AssertProblemAsync(404, "not-found");
    }

    [Fact]
    public async Task Posts_carry_the_placeholder_of_their_image()
    {
        var author = await feed.SignUpAsync();

        var response = await feed.PostImageAsync(author.Token, "placeholder", TestImages.Png(300, 200, seed: 95), "with placeholder");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode); // pending until the scan decides
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var placeholder = body.GetProperty("placeholder").GetString()!;
        Assert.Equal(28, placeholder.Length);
        var sha256 = body.GetProperty("imageUrl").GetString()!["/media/".Length..];
        Assert.Equal(placeholder, await feed.ScalarAsync<string>("select placeholder from ingest.media where sha256 = $1", sha256));
    }

    [Fact]
    public async Task An_animation_over_the_frame_limit_is_refused_with_a_problem_and_stores_nothing()
    {
        var author = await feed.SignUpAsync();
        var before = await feed.StoredAsync();

        var response = await feed.PostImageAsync(author.Token, "frames", MediaTestImages.AnimatedGif(frames: 501), "too many frames");

        var problem = await response.AssertProblemAsync(422, "image-too-many-frames");
        Assert.Contains("501 frames", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await feed.StoredAsync());
    }
}
