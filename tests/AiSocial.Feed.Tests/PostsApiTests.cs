using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Testing;

namespace AiSocial.Feed.Tests;

public sealed class PostsApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    [Fact]
    public async Task Posting_answers_202_pending_and_only_the_author_sees_the_post_until_it_is_published()
    {
        var author = await feed.SignUpAsync();
        var other = await feed.SignUpAsync();

        var response = await feed.PostImageAsync(author.Token, "first", TestImages.Png(100, 50, seed: 1), "a kite over dunes", "windy");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("pending", body.GetProperty("status").GetString());
        Assert.Equal($"/api/v1/posts/{body.GetProperty("id").GetGuid()}", response.Headers.Location?.ToString());
        Assert.Equal((100, 50), (body.GetProperty("width").GetInt32(), body.GetProperty("height").GetInt32()));
        var path = response.Headers.Location!.ToString();
        Assert.Equal(HttpStatusCode.OK, (await feed.Client(author.Token).GetAsync(path)).StatusCode);
        await (await feed.Client(other.Token).GetAsync(path)).AssertProblemAsync(404, "not-found");
        await (await feed.Client().GetAsync(path)).AssertProblemAsync(404, "not-found");
    }

    [Fact]
    public async Task The_same_Idempotency_Key_and_request_return_the_same_post()
    {
        var author = await feed.SignUpAsync();
        var image = TestImages.Png(seed: 2);

        var first = await feed.PostImageAsync(author.Token, "retry-me", image, "same prompt");
        var retry = await feed.PostImageAsync(author.Token, "retry-me", image, "same prompt");

        var firstId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(firstId, (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1L, await feed.ScalarAsync<long>("select count(*) from ingest.posts where author_id = $1", author.Id));
    }

    // The requests are built inside the test: xUnit serialises theory data while discovering tests, and a 20 MB row is slow.
    private static readonly Dictionary<string, (Func<byte[]?> Image, string? Prompt, string? Key)> BadRequests = new()
    {
        ["a text file sent as an image"] = (() => TestImages.Text, "prompt", "k1"),
        ["a truncated PNG"] = (() => TestImages.Truncated(TestImages.Png(300, 300)), "prompt", "k2"),
        ["a PNG header claiming 30000x30000"] = (() => TestImages.PngClaiming(30000, 30000), "prompt", "k3"),
        ["a missing prompt"] = (() => TestImages.Png(), null, "k4"),
        ["a 100 KB prompt"] = (() => TestImages.Png(), new string('a', 100 * 1024), "k5"),
        ["no image at all"] = (() => null, "prompt", "k6"),
        ["no Idempotency-Key"] = (() => TestImages.Png(), "prompt", null),
        ["an image over 20 MB"] = (() => [.. TestImages.Png()[..8], .. new byte[(20 * 1024 * 1024) + 1]], "prompt", "k8"),
    };

    [Theory]
    [InlineData("a text file sent as an image", 415, "image-unsupported")]
    [InlineData("a truncated PNG", 422, "image-corrupt")]
    [InlineData("a PNG header claiming 30000x30000", 422, "image-dimensions-too-large")]
    [InlineData("a missing prompt", 400, "validation-failed")]
    [InlineData("a 100 KB prompt", 400, "validation-failed")]
    [InlineData("no image at all", 400, "validation-failed")]
    [InlineData("no Idempotency-Key", 400, "idempotency-key-missing")]
    [InlineData("an image over 20 MB", 413, "image-too-large")]
    public async Task Bad_input_gets_a_clear_problem_and_stores_no_row_and_no_file(string what, int status, string code)
    {
        var author = await feed.SignUpAsync();
        var (image, prompt, key) = BadRequests[what];
        var before = await feed.StoredAsync();

        var response = await feed.PostImageAsync(author.Token, key, image(), prompt);

        var problem = await response.AssertProblemAsync(status, code);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), what);
        Assert.Equal(before, await feed.StoredAsync());
    }

    [Fact]
    public async Task A_wrong_token_is_refused_and_stores_nothing()
    {
        var before = await feed.StoredAsync();

        var response = await feed.PostImageAsync("ais_not-a-real-token", "k", TestImages.Png(), "prompt");

        await response.AssertProblemAsync(401, "invalid-token");
        Assert.Equal(before, await feed.StoredAsync());
    }

    [Fact]
    public async Task A_reused_Idempotency_Key_with_a_different_body_is_refused_and_stores_nothing()
    {
        var author = await feed.SignUpAsync();
        await feed.PostImageAsync(author.Token, "once", TestImages.Png(seed: 3), "original");
        var before = await feed.StoredAsync();

        var response = await feed.PostImageAsync(author.Token, "once", TestImages.Png(seed: 4), "different");

        await response.AssertProblemAsync(422, "idempotency-key-reused");
        Assert.Equal(before, await feed.StoredAsync());
    }

    [Fact]
    public async Task A_body_larger_than_any_post_is_refused_before_it_is_read()
    {
        var author = await feed.SignUpAsync();
        var before = await feed.StoredAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/posts")
        {
            Content = FeedFixture.PostForm(new byte[30 * 1024 * 1024], "prompt"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", author.Token);
        request.Headers.Add("Idempotency-Key", "huge");
        request.Headers.ExpectContinue = true; // as curl sends a large upload: the server answers before the body is sent

        var response = await feed.Client().SendAsync(request);

        await response.AssertProblemAsync(413, "payload-too-large");
        Assert.Equal(before, await feed.StoredAsync());
    }

    [Fact]
    public async Task A_post_that_is_not_multipart_is_refused_saying_what_it_takes()
    {
        var author = await feed.SignUpAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/posts") { Content = JsonContent.Create(new { prompt = "x" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", author.Token);
        request.Headers.Add("Idempotency-Key", "json");

        var problem = await (await feed.Client().SendAsync(request)).AssertProblemAsync(415, "unsupported-media-type");
        Assert.Contains("multipart/form-data", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/api/v1/posts/00000000-0000-0000-0000-000000000000")]
    [InlineData("/api/v1/posts/not-a-post-id")]
    public async Task Unknown_posts_are_not_found(string path)
    {
        await (await feed.Client().GetAsync(path)).AssertProblemAsync(404, "not-found");
    }
}
