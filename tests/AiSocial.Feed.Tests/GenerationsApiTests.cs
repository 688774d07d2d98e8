using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Prompts;
using AiSocial.SafetyModels.Pdq;
using MetadataExtractor;
using MetadataExtractor.Formats.Xmp;

namespace AiSocial.Feed.Tests;

/// <summary>Generating images with no provider configured: the offline renderer, the prompt gate, validation and ownership.</summary>
public sealed class GenerationsApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    public const string Iptc4xmpExt = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";

    private static async Task<HttpResponseMessage> GenerateAsync(FeedFixture feed, string token, object body) =>
        await feed.Client(token).PostAsJsonAsync("/api/v1/generations", body);

    /// <summary>The <c>Iptc4xmpExt:DigitalSourceType</c> in an image's XMP, read with MetadataExtractor.</summary>
    public static string? DigitalSourceType(byte[] image)
    {
        var xmp = ImageMetadataReader.ReadMetadata(new MemoryStream(image)).OfType<XmpDirectory>().SingleOrDefault();
        return xmp?.XmpMeta?.GetPropertyString(Iptc4xmpExt, "DigitalSourceType");
    }

    [Fact]
    public async Task Offline_generation_answers_201_names_the_offline_renderer_and_serves_the_image_to_its_owner_with_its_provenance()
    {
        var (_, ownerId, token) = await feed.SignUpAsync();
        var (_, _, otherToken) = await feed.SignUpAsync();

        var response = await GenerateAsync(feed, token, new { prompt = "a lighthouse in a storm", negativePrompt = "people" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/generations/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("offline-renderer", body.GetProperty("generator").GetString());
        Assert.Equal("offline-renderer", body.GetProperty("model").GetString());
        Assert.Equal("512x512", body.GetProperty("size").GetString());
        Assert.True(body.GetProperty("seed").GetInt64() >= 0);
        Assert.True(body.GetProperty("parameters").GetProperty("seedApplied").GetBoolean());
        Assert.False(body.TryGetProperty("revisedPrompt", out _));

        var imageUrl = body.GetProperty("imageUrl").GetString()!;
        var image = await feed.Client(token).GetAsync(imageUrl);
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
        Assert.True(image.Headers.CacheControl is { Private: true, Public: false }, image.Headers.CacheControl?.ToString());
        var bytes = await image.Content.ReadAsByteArrayAsync();
        // The stored original is what the URL names; what is served carries consent-dependent XMP besides.
        var stored = await File.ReadAllBytesAsync(feed.Get<AiSocial.Ingest.Media.MediaStore>().PathFor(imageUrl["/media/".Length..]));
        Assert.Equal(imageUrl, $"/media/{Convert.ToHexStringLower(SHA256.HashData(stored))}");
        // A drawing made by a plain algorithm, not by a model trained on data: IPTC's algorithmicMedia.
        Assert.Equal("http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia", DigitalSourceType(bytes));
        using (var decoded = SkiaSharp.SKBitmap.Decode(bytes))
        {
            Assert.Equal((512, 512), (decoded.Width, decoded.Height));
        }

        Assert.Equal(HttpStatusCode.NotFound, (await feed.Client(otherToken).GetAsync(imageUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await feed.Client().GetAsync(imageUrl)).StatusCode);

        Assert.Equal(1L, await feed.ScalarAsync<long>(
            """
            select count(*) from ingest.generations
            where id = $1 and account_id = $2 and generator = 'offline-renderer' and model = 'offline-renderer' and size = '512x512'
              and seed = $3 and negative_prompt = 'people' and parameters ->> 'renderer' = 'offline-renderer'
            """, id, ownerId, body.GetProperty("seed").GetInt64()));
        Assert.Equal(0L, await feed.ScalarAsync<long>("select count(*) from ingest.generation_reservations"));
        // Like any stored image: the PDQ hash of its pixels and a placeholder, for the posts made from it.
        Assert.Equal(PdqHasher.Compute(bytes).Hash.ToHex(), await feed.ScalarAsync<string>(
            "select encode(pdq_hash, 'hex') from ingest.media where sha256 = $1 and placeholder is not null", imageUrl["/media/".Length..]));
    }

    [Fact]
    public async Task The_same_prompt_and_seed_draw_the_same_bytes_and_another_seed_or_prompt_another_picture()
    {
        var (_, _, token) = await feed.SignUpAsync();

        async Task<string> ImageOf(string prompt, long seed, string size = "256x256")
        {
            var response = await GenerateAsync(feed, token, new { prompt, seed, size });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(seed, body.GetProperty("seed").GetInt64());
            return body.GetProperty("imageUrl").GetString()!;
        }

        var first = await ImageOf("a red fox in snow", 42);
        Assert.Equal(first, await ImageOf("a red fox in snow", 42));
        Assert.NotEqual(first, await ImageOf("a red fox in snow", 43));
        Assert.NotEqual(first, await ImageOf("a red fox in the snow", 42));
        Assert.NotEqual(first, await ImageOf("a red fox in snow", 42, "512x512"));
        Assert.Equal(2L, await feed.ScalarAsync<long>("select count(*) from ingest.generations where media_sha256 = $1", first["/media/".Length..]));
    }

    [Fact]
    public async Task A_generation_is_read_by_the_account_that_made_it_and_is_not_found_for_anyone_else()
    {
        var (_, _, token) = await feed.SignUpAsync();
        var (_, _, otherToken) = await feed.SignUpAsync();
        var created = await (await GenerateAsync(feed, token, new { prompt = "a quiet harbour", seed = 7 })).Content.ReadFromJsonAsync<JsonElement>();
        var url = $"/api/v1/generations/{created.GetProperty("id").GetGuid()}";

        var own = await feed.Client(token).GetFromJsonAsync<JsonElement>(url);
        Assert.Equal(created.GetProperty("imageUrl").GetString(), own.GetProperty("imageUrl").GetString());
        Assert.Equal("a quiet harbour", own.GetProperty("prompt").GetString());
        Assert.Equal(7, own.GetProperty("seed").GetInt64());

        await (await feed.Client(otherToken).GetAsync(url)).AssertProblemAsync(404, "not-found");
        await (await feed.Client(token).GetAsync($"/api/v1/generations/{Guid.NewGuid()}")).AssertProblemAsync(404, "not-found");
        await (await feed.Client().GetAsync(url)).AssertProblemAsync(401, "unauthorized");
        await (await feed.Client().PostAsJsonAsync("/api/v1/generations", new { prompt = "x" })).AssertProblemAsync(401, "unauthorized");
    }

    [Fact]
    public async Task A_blocklisted_term_in_the_prompt_or_negative_prompt_is_refused_naming_the_rule_and_the_term_and_nothing_is_stored()
    {
        var (_, _, token) = await feed.SignUpAsync();
        var blocklist = feed.Get<PromptBlocklist>();
        (await blocklist.AddAsync(Actor.System("test"), "Crème Brûlée", "test-desserts", default)).Value.ToString();
        (await blocklist.AddAsync(Actor.System("test"), "gore", "violence", default)).Value.ToString();
        var before = await feed.EverythingStoredAsync();

        var refused = await (await GenerateAsync(feed, token, new { prompt = "a huge\nCREME   brulee, on a plate" }))
            .AssertProblemAsync(422, "prompt_refused");
        Assert.Equal("blocklist", refused.GetProperty("check").GetString());
        Assert.Equal("test-desserts", refused.GetProperty("rule").GetString());
        Assert.Equal("Crème Brûlée", refused.GetProperty("term").GetString());
        Assert.Equal("prompt", refused.GetProperty("field").GetString());
        Assert.Contains("Crème Brûlée", refused.GetProperty("detail").GetString());

        var negative = await (await GenerateAsync(feed, token, new { prompt = "a castle", negativePrompt = "no Gore!" }))
            .AssertProblemAsync(422, "prompt_refused");
        Assert.Equal(("violence", "gore", "negativePrompt"),
            (negative.GetProperty("rule").GetString(), negative.GetProperty("term").GetString(), negative.GetProperty("field").GetString()));
        Assert.Equal(before, await feed.EverythingStoredAsync());

        // Whole words only: a word that merely contains a blocked one passes.
        Assert.Equal(HttpStatusCode.Created, (await GenerateAsync(feed, token, new { prompt = "a gorey-looking goreful sky" })).StatusCode);

        (await blocklist.RemoveAsync(Actor.System("test"), "GORE", default)).Value.ToString();
        Assert.Equal(HttpStatusCode.Created, (await GenerateAsync(feed, token, new { prompt = "a castle", negativePrompt = "no gore" })).StatusCode);
    }

    [Theory]
    [InlineData("""{"negativePrompt":"x"}""", "prompt")]
    [InlineData("""{"prompt":"   "}""", "prompt")]
    [InlineData("""{"prompt":"a cat","size":"300x300"}""", "size")]
    [InlineData("""{"prompt":"a cat","size":"big"}""", "size")]
    [InlineData("""{"prompt":"a cat","model":"dall-e-3"}""", "model")]
    [InlineData("""{"prompt":"a cat","seed":-1}""", "seed")]
    public async Task Invalid_requests_are_refused_naming_the_field_and_store_nothing(string json, string field)
    {
        var (_, _, token) = await feed.SignUpAsync();
        var before = await feed.EverythingStoredAsync();

        var response = await feed.Client(token).PostAsync("/api/v1/generations", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(400, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Fact]
    public async Task Prompts_longer_than_2000_characters_are_refused()
    {
        var (_, _, token) = await feed.SignUpAsync();

        var prompt = await (await GenerateAsync(feed, token, new { prompt = new string('a', 2001) })).AssertProblemAsync(400, "validation-failed");
        Assert.True(prompt.GetProperty("errors").TryGetProperty("prompt", out _));
        var negative = await (await GenerateAsync(feed, token, new { prompt = "a cat", negativePrompt = new string('a', 2001) }))
            .AssertProblemAsync(400, "validation-failed");
        Assert.True(negative.GetProperty("errors").TryGetProperty("negativePrompt", out _));
        Assert.Equal(HttpStatusCode.Created, (await GenerateAsync(feed, token, new { prompt = new string('a', 2000) })).StatusCode);
    }
}

/// <summary>The Feed with a quota of three images a day.</summary>
public sealed class SmallQuotaFeed : FeedFixture
{
    public const int Quota = 3;

    protected override void Configure(IDictionary<string, string?> settings) => settings["Generation:DailyQuota"] = Quota.ToString();
}

public sealed class GenerationQuotaTests(SmallQuotaFeed feed) : IClassFixture<SmallQuotaFeed>
{
    [Fact]
    public async Task Concurrent_requests_cannot_exceed_the_daily_quota_and_the_rest_get_429_with_retry_after()
    {
        var (_, accountId, token) = await feed.SignUpAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            feed.Client(token).PostAsJsonAsync("/api/v1/generations", new { prompt = $"picture number {i}", size = "256x256" })));

        Assert.Equal(SmallQuotaFeed.Quota, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            var problem = await refused.AssertProblemAsync(429, "generation-quota-exceeded");
            var retryAfter = long.Parse(refused.Headers.GetValues("Retry-After").Single());
            Assert.InRange(retryAfter, 1, 24 * 3600);
            Assert.Contains("3", problem.GetProperty("detail").GetString());
        }

        Assert.Equal((long)SmallQuotaFeed.Quota, await feed.ScalarAsync<long>("select count(*) from ingest.generations where account_id = $1", accountId));
        Assert.Equal(0L, await feed.ScalarAsync<long>("select count(*) from ingest.generation_reservations"));

        // Another account has its own quota.
        var (_, _, otherToken) = await feed.SignUpAsync();
        Assert.Equal(HttpStatusCode.Created,
            (await feed.Client(otherToken).PostAsJsonAsync("/api/v1/generations", new { prompt = "mine", size = "256x256" })).StatusCode);
    }

    [Fact]
    public async Task Generations_in_flight_hold_quota_until_they_end_and_those_a_crash_left_behind_lapse()
    {
        var (_, accountId, token) = await feed.SignUpAsync();
        async Task ReserveAsync(string expiresIn)
        {
            for (var i = 0; i < SmallQuotaFeed.Quota; i++)
            {
                await feed.ExecuteAsync(
                    $"insert into ingest.generation_reservations (id, account_id, expires_at) values ($1, $2, now() + interval '{expiresIn}')",
                    Guid.NewGuid(), accountId);
            }
        }

        await ReserveAsync("10 minutes");
        var busy = await feed.Client(token).PostAsJsonAsync("/api/v1/generations", new { prompt = "one more", size = "256x256" });
        await busy.AssertProblemAsync(429, "generation-quota-exceeded");
        Assert.InRange(long.Parse(busy.Headers.GetValues("Retry-After").Single()), 500, 600);

        await feed.ExecuteAsync("delete from ingest.generation_reservations where account_id = $1", accountId);
        await ReserveAsync("-1 second");
        Assert.Equal(HttpStatusCode.Created,
            (await feed.Client(token).PostAsJsonAsync("/api/v1/generations", new { prompt = "one more", size = "256x256" })).StatusCode);
        Assert.Equal(0L, await feed.ScalarAsync<long>("select count(*) from ingest.generation_reservations where account_id = $1", accountId));
    }

    [Fact]
    public async Task A_refused_prompt_does_not_count_against_the_quota()
    {
        var (_, accountId, token) = await feed.SignUpAsync();
        await feed.Get<PromptBlocklist>().AddAsync(Actor.System("test"), "forbidden-word", "test", default);

        for (var i = 0; i < SmallQuotaFeed.Quota + 2; i++)
        {
            await (await feed.Client(token).PostAsJsonAsync("/api/v1/generations", new { prompt = "a forbidden word" }))
                .AssertProblemAsync(422, "prompt_refused");
        }

        for (var i = 0; i < SmallQuotaFeed.Quota; i++)
        {
            Assert.Equal(HttpStatusCode.Created,
                (await feed.Client(token).PostAsJsonAsync("/api/v1/generations", new { prompt = $"allowed {i}", size = "256x256" })).StatusCode);
        }

        Assert.Equal((long)SmallQuotaFeed.Quota, await feed.ScalarAsync<long>("select count(*) from ingest.generations where account_id = $1", accountId));
    }
}
