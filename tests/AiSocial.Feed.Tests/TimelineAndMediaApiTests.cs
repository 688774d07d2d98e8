using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Ingest.Posts;
using AiSocial.Testing;

namespace AiSocial.Feed.Tests;

public sealed class TimelineAndMediaApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private async Task<Post> PublishedPostAsync(byte[]? image = null)
    {
        var post = await feed.SubmitPostAsync((await feed.CreateAccountAsync()).Id, image);
        await using var connection = await feed.DataSource.OpenConnectionAsync();
        await PostStore.TransitionAsync(connection, post.Id, PostStatus.Published, [PostStatus.Pending], default);
        return post;
    }

    [Fact]
    public async Task The_public_timeline_pages_with_an_opaque_cursor_and_shows_only_published_posts()
    {
        var published = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            published.Add((await PublishedPostAsync()).Id);
        }

        var pending = await feed.SubmitPostAsync((await feed.CreateAccountAsync()).Id);

        var seen = new List<JsonElement>();
        var url = "/api/v1/timelines/public?limit=2";
        while (true)
        {
            var page = await feed.Client().GetFromJsonAsync<JsonElement>(url);
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.True(items.Count <= 2);
            seen.AddRange(items);
            if (page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null)
            {
                break;
            }

            url = $"/api/v1/timelines/public?limit=2&cursor={Uri.EscapeDataString(page.GetProperty("nextCursor").GetString()!)}";
        }

        var ids = seen.Select(p => p.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(published.AsEnumerable().Reverse(), ids.Where(published.Contains));
        Assert.DoesNotContain(pending.Id, ids);
        Assert.All(seen, p => Assert.Equal("published", p.GetProperty("status").GetString()));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Theory]
    [InlineData("?cursor=zzz", "invalid-cursor")]
    [InlineData("?limit=0", "validation-failed")]
    [InlineData("?limit=101", "validation-failed")]
    [InlineData("?limit=ten", "malformed-request")]
    public async Task Bad_paging_parameters_are_refused(string query, string code)
    {
        await (await feed.Client().GetAsync($"/api/v1/timelines/public{query}")).AssertProblemAsync(400, code);
    }

    [Fact]
    public async Task Published_media_is_public_and_revalidated_by_its_etag()
    {
        var image = TestImages.Png(seed: 77);
        var post = await PublishedPostAsync(image);

        var response = await feed.Client().GetAsync($"/media/{post.Media.Sha256}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(0, TestImages.MaxChannelDifference(image, served));
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        // The URL stays while the served metadata follows the author's consent, so caches check back each time.
        Assert.Equal("public, no-cache", response.Headers.CacheControl!.ToString());
        Assert.StartsWith($"\"{post.Media.Sha256}.", response.Headers.ETag!.Tag);

        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"/media/{post.Media.Sha256}");
        conditional.Headers.IfNoneMatch.Add(response.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, (await feed.Client().SendAsync(conditional)).StatusCode);
    }

    [Fact]
    public async Task Media_of_an_unpublished_post_is_its_authors_only_and_never_cached_publicly()
    {
        var author = await feed.SignUpAsync();
        var response = await feed.PostImageAsync(author.Token, "media", TestImages.Png(seed: 78), "pending media");
        var imageUrl = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("imageUrl").GetString()!;

        await (await feed.Client().GetAsync(imageUrl)).AssertProblemAsync(404, "not-found");
        await (await feed.Client((await feed.SignUpAsync()).Token).GetAsync(imageUrl)).AssertProblemAsync(404, "not-found");
        var own = await feed.Client(author.Token).GetAsync(imageUrl);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Contains("private", own.Headers.CacheControl!.ToString());
    }

    [Theory]
    [InlineData("/media/0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("/media/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/media/ABC")]
    public async Task Unknown_or_malformed_hashes_are_not_found(string path)
    {
        await (await feed.Client().GetAsync(path)).AssertProblemAsync(404, "not-found");
    }
}
