using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AiSocial.Testing;

namespace AiSocial.Feed.Tests;

/// <summary>Every text field refuses what PostgreSQL cannot store or a reader cannot trust, naming the field.</summary>
public sealed class TextInputTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task AssertInvalidFieldAsync(HttpResponseMessage response, string field)
    {
        var problem = await response.AssertProblemAsync(400, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }

    private async Task<long> AccountsAsync() => await feed.ScalarAsync<long>("select count(*) from ingest.accounts");

    [Theory]
    [InlineData("A NUL\\u0000 name", "displayName")]
    [InlineData("A bell\\u0007 name", "displayName")]
    [InlineData("Two\\nlines", "displayName")]
    [InlineData("Half a pair \\ud800", "displayName")]
    public async Task Sign_up_refuses_control_characters_and_broken_unicode_naming_the_field(string displayName, string field)
    {
        var before = await AccountsAsync();

        var handle = $"h{Guid.NewGuid():N}"[..20];

        var response = await feed.Client().PostAsync("/api/v1/accounts",
            Json($$"""{"handle":"{{handle}}","displayName":"{{displayName}}","password":"{{TestPasswords.Default}}","birthYear":1990}"""));

        Assert.True((int)response.StatusCode == 400, await response.Content.ReadAsStringAsync());
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains(problem.GetProperty("code").GetString(), (string[])["validation-failed", "malformed-request"]);
        if (problem.GetProperty("code").GetString() == "validation-failed")
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }

        Assert.Equal(before, await AccountsAsync());
    }

    [Fact]
    public async Task A_NUL_in_the_sign_in_handle_is_a_problem_naming_the_handle_not_a_server_error()
    {
        var response = await feed.Client().PostAsJsonAsync("/api/v1/sessions", new { handle = "demo\0user", password = "whatever it is" });

        await AssertInvalidFieldAsync(response, "handle");
    }

    [Fact]
    public async Task A_control_character_in_a_path_value_is_a_problem_naming_it()
    {
        await AssertInvalidFieldAsync(await feed.Client().GetAsync("/api/v1/accounts/ab%07cd"), "handle");
    }

    [Fact]
    public async Task A_NUL_in_the_path_is_refused_by_the_server_with_a_problem()
    {
        var response = await feed.Client().GetAsync("/api/v1/accounts/ab%00cd");

        await response.AssertProblemAsync(400, "malformed-request");
    }

    [Fact]
    public async Task A_NUL_in_the_consent_terms_version_is_refused_and_records_nothing()
    {
        var person = await feed.SignUpAsync();

        var response = await feed.Client(person.Token).PutAsJsonAsync("/api/v1/me/consent",
            new { purpose = "cawg.ai_training", granted = true, termsVersion = "2026\0-11" });

        await AssertInvalidFieldAsync(response, "termsVersion");
        Assert.Equal(0L, await feed.ScalarAsync<long>("select count(*) from ingest.consent_events where account_id = $1", person.Id));
    }

    [Theory]
    [InlineData("prompt", "a fox\0 in the snow")]
    [InlineData("caption", "nice\u0001")]
    [InlineData("prompt", "\u202Eeman noitpac")]
    [InlineData("caption", "\u200B\u200B\u2060")]
    [InlineData("prompt", "\u200B \u00AD")]
    public async Task A_post_with_text_that_cannot_be_stored_or_trusted_is_refused_naming_the_field_and_stores_nothing(string field, string text)
    {
        var author = await feed.SignUpAsync();
        var before = await feed.StoredAsync();
        var (prompt, caption) = field == "prompt" ? (text, "fine") : ("a fox in the snow", text);

        var response = await feed.PostImageAsync(author.Token, Guid.NewGuid().ToString(), TestImages.Png(), prompt, caption);

        await AssertInvalidFieldAsync(response, field);
        Assert.Equal(before, await feed.StoredAsync());
    }

    [Fact]
    public async Task Tabs_and_line_breaks_are_fine_in_a_caption_and_text_is_stored_in_normalisation_form_C()
    {
        var author = await feed.SignUpAsync();

        var response = await feed.PostImageAsync(author.Token, Guid.NewGuid().ToString(), TestImages.Png(seed: 31), "cafe\u0301 at night", "line one\r\n\tline two");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var post = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("caf\u00e9 at night", post.GetProperty("prompt").GetString());
        Assert.Equal("line one\n\tline two", post.GetProperty("caption").GetString());
    }

    [Fact]
    public async Task Bytes_that_are_not_UTF_8_in_a_form_field_are_refused_naming_it()
    {
        var author = await feed.SignUpAsync();
        var before = await feed.StoredAsync();
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(TestImages.Png()) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } }, "image", "a.png");
        form.Add(new ByteArrayContent([0x61, 0xFF, 0xFE, 0x62]), "prompt");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/posts") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", author.Token);
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());

        await AssertInvalidFieldAsync(await feed.Client().SendAsync(request), "prompt");
        Assert.Equal(before, await feed.StoredAsync());
    }

    [Fact]
    public async Task Bytes_that_are_not_UTF_8_in_a_JSON_body_are_a_malformed_request()
    {
        var content = new ByteArrayContent([.. "{\"handle\":\"ab"u8, 0xC3, 0x28, .. "\",\"password\":\"x\"}"u8]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        await (await feed.Client().PostAsync("/api/v1/sessions", content)).AssertProblemAsync(400, "malformed-request");
    }

    [Theory]
    [InlineData("prompt")]
    [InlineData("image")]
    public async Task A_field_sent_twice_is_refused_not_joined(string twice)
    {
        var author = await feed.SignUpAsync();
        var before = await feed.StoredAsync();
        using var form = FeedFixture.PostForm(TestImages.Png(seed: 32), "a fox");
        if (twice == "prompt")
        {
            form.Add(new StringContent("a second prompt"), "prompt");
        }
        else
        {
            form.Add(new ByteArrayContent(TestImages.Png(seed: 33)) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } }, "image", "b.png");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/posts") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", author.Token);
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());

        await AssertInvalidFieldAsync(await feed.Client().SendAsync(request), twice);
        Assert.Equal(before, await feed.StoredAsync());
    }

    [Theory]
    [InlineData("--wrong-boundary\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nx\r\n--wrong-boundary--\r\n")]
    [InlineData("--b0und4ry\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\na fox in the sn")]
    public async Task A_multipart_body_with_the_wrong_boundary_or_cut_short_is_a_problem(string body)
    {
        var author = await feed.SignUpAsync();
        var content = new StringContent(body, Encoding.ASCII);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b0und4ry");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/posts") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", author.Token);
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());

        var response = await feed.Client().SendAsync(request);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("?limit=ten", "'limit' must be a whole number")]
    [InlineData("?limit=99999999999999999999", "'limit' must be a whole number")]
    public async Task A_value_of_the_wrong_kind_is_explained_without_naming_a_CSharp_type(string query, string expected)
    {
        var problem = await (await feed.Client().GetAsync($"/api/v1/timelines/public{query}")).AssertProblemAsync(400, "malformed-request");

        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(expected, detail);
        Assert.DoesNotContain("Nullable", detail);
        Assert.DoesNotContain("Int32", detail);
    }
}
