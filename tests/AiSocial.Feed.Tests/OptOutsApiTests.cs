using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Creators;
using AiSocial.Testing;
using SkiaSharp;

namespace AiSocial.Feed.Tests;

/// <summary><c>/api/v1/me/optouts</c> and their enforcement at prompt time, through the Feed on a real server.</summary>
public sealed class OptOutsApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private static async Task<JsonElement> RegisterAsync(HttpClient client, object body, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var response = await client.PostAsJsonAsync("/api/v1/me/optouts", body);
        Assert.True(expected == response.StatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static MultipartFormDataContent WorkForm(byte[]? image, string kind = "work", string? value = null, string contentType = "image/jpeg")
    {
        var form = new MultipartFormDataContent { { new StringContent(kind), "kind" } };
        if (image is not null)
        {
            var file = new ByteArrayContent(image);
            file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            form.Add(file, "image", "harbour-at-dawn.jpg");
        }

        if (value is not null)
        {
            form.Add(new StringContent(value), "value");
        }

        return form;
    }

    /// <summary>A moderator verifies the opt-out, as the console does.</summary>
    private async Task VerifyAsync(Guid id)
    {
        var moderator = await feed.CreateAccountAsync(Roles.Moderator);
        _ = (await feed.Get<CreatorOptOuts>().ReviewAsync(new Actor(moderator.Id, moderator.Handle), id, verified: true, default)).Value;
    }

    private async Task<HttpResponseMessage> GenerateAsync(string token, string prompt, string? negativePrompt = null) =>
        await feed.Client(token).PostAsJsonAsync("/api/v1/generations", new { prompt, negativePrompt, size = "256x256" });

    [Fact]
    public async Task A_creator_registers_lists_and_removes_their_own_opt_outs_and_sees_no_one_elses()
    {
        var (_, creatorId, token) = await feed.SignUpAsync();
        var (_, _, otherToken) = await feed.SignUpAsync();

        var created = await RegisterAsync(feed.Client(token), new { kind = "name", value = "  Ségolène Dupont ", enforcement = "strip" });
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal(("name", "Ségolène Dupont", "pending", "strip"), (created.GetProperty("kind").GetString(), created.GetProperty("value").GetString(),
            created.GetProperty("status").GetString(), created.GetProperty("enforcement").GetString()));
        Assert.True(created.TryGetProperty("createdAt", out _));
        var style = await RegisterAsync(feed.Client(token), new { kind = "style", value = "Dupont-core" });
        Assert.Equal("refuse", style.GetProperty("enforcement").GetString()); // the default
        Assert.Equal("segolene dupont", await feed.ScalarAsync<string>("select normalized from ingest.creator_optouts where id = $1", id));

        var own = await feed.Client(token).GetFromJsonAsync<JsonElement>("/api/v1/me/optouts");
        Assert.Equal([style.GetProperty("id").GetGuid(), id], own.EnumerateArray().Select(o => o.GetProperty("id").GetGuid()));
        Assert.Empty((await feed.Client(otherToken).GetFromJsonAsync<JsonElement>("/api/v1/me/optouts")).EnumerateArray());

        // Someone else's id is not found, and stays.
        await (await feed.Client(otherToken).DeleteAsync($"/api/v1/me/optouts/{id}")).AssertProblemAsync(404, "not-found");
        Assert.Equal(2, (await feed.Client(token).GetFromJsonAsync<JsonElement>("/api/v1/me/optouts")).GetArrayLength());

        Assert.Equal(HttpStatusCode.NoContent, (await feed.Client(token).DeleteAsync($"/api/v1/me/optouts/{id}")).StatusCode);
        Assert.Single((await feed.Client(token).GetFromJsonAsync<JsonElement>("/api/v1/me/optouts")).EnumerateArray());
        await (await feed.Client(token).DeleteAsync($"/api/v1/me/optouts/{id}")).AssertProblemAsync(404, "not-found");
        Assert.Equal(["creator-optout.register", "creator-optout.remove"],
            (await feed.Get<AuditLog>().ForSubjectAsync(CreatorOptOuts.SubjectType, id.ToString(), default)).Select(e => (e.Action, e.ActorId))
            .Where(e => e.ActorId == creatorId).Select(e => e.Action));

        await (await feed.Client().GetAsync("/api/v1/me/optouts")).AssertProblemAsync(401, "unauthorized");
    }

    [Theory]
    [InlineData("""{"kind":"painter","value":"Greg Rutkowski"}""", "kind")]
    [InlineData("""{"value":"Greg Rutkowski"}""", "kind")]
    [InlineData("""{"kind":"name"}""", "value")]
    [InlineData("""{"kind":"name","value":"   "}""", "value")]
    [InlineData("""{"kind":"name","value":"!!!"}""", "value")]
    [InlineData("""{"kind":"alias","value":"Greg","enforcement":"ignore"}""", "enforcement")]
    [InlineData("""{"kind":"work","value":"my painting"}""", "kind")]
    public async Task Invalid_opt_outs_are_refused_naming_the_field_and_store_nothing(string json, string field)
    {
        var (_, _, token) = await feed.SignUpAsync();
        var before = await feed.EverythingStoredAsync();

        var response = await feed.Client(token).PostAsync("/api/v1/me/optouts", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(400, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Fact]
    public async Task The_same_claim_twice_is_a_conflict_however_it_is_spelled()
    {
        var (_, _, token) = await feed.SignUpAsync();
        await RegisterAsync(feed.Client(token), new { kind = "alias", value = "Greg Rutkowski" });

        var again = await feed.Client(token).PostAsJsonAsync("/api/v1/me/optouts", new { kind = "alias", value = "greg-RUTKOWSKI" });

        await again.AssertProblemAsync(409, "creator-optout-exists");
        await RegisterAsync(feed.Client(token), new { kind = "name", value = "greg-RUTKOWSKI" }); // another kind is another claim
    }

    [Fact]
    public async Task A_work_is_kept_as_its_eight_dihedral_pdq_hashes_and_a_bad_image_is_refused_like_an_upload()
    {
        var (_, _, token) = await feed.SignUpAsync();
        var photo = PdqTestImages.Bytes("reg-test-input_labelme-subset_q0746.jpg");

        var response = await feed.Client(token).PostAsync("/api/v1/me/optouts", WorkForm(photo));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var work = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("work", "harbour-at-dawn.jpg", "pending"),
            (work.GetProperty("kind").GetString(), work.GetProperty("value").GetString(), work.GetProperty("status").GetString()));
        var hashes = await feed.ScalarAsync<byte[][]>("select pdq_hashes from ingest.creator_optouts where id = $1", work.GetProperty("id").GetGuid());
        Assert.Equal(8, hashes.Length);
        Assert.All(hashes, h => Assert.Equal(32, h.Length));
        Assert.Equal(8, hashes.Select(Convert.ToHexString).Distinct().Count());

        var before = await feed.EverythingStoredAsync();
        await (await feed.Client(token).PostAsync("/api/v1/me/optouts", WorkForm(TestImages.Text, contentType: "text/plain")))
            .AssertProblemAsync(415, "image-unsupported");
        await (await feed.Client(token).PostAsync("/api/v1/me/optouts", WorkForm(TestImages.Truncated(TestImages.Png(300, 300)))))
            .AssertProblemAsync(422, "image-corrupt");
        await (await feed.Client(token).PostAsync("/api/v1/me/optouts", WorkForm(Flat()))).AssertProblemAsync(422, "work-unmatchable");
        var missing = await (await feed.Client(token).PostAsync("/api/v1/me/optouts", WorkForm(null, value: "untitled")))
            .AssertProblemAsync(400, "validation-failed");
        Assert.True(missing.GetProperty("errors").TryGetProperty("image", out _));
        var wrongKind = await (await feed.Client(token).PostAsync("/api/v1/me/optouts", WorkForm(photo, kind: "name")))
            .AssertProblemAsync(400, "validation-failed");
        Assert.True(wrongKind.GetProperty("errors").TryGetProperty("kind", out _));
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    private static byte[] Flat()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(200, 160, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(new SKColor(90, 120, 200));
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }

    [Fact]
    public async Task A_prompt_naming_a_verified_refuse_opt_out_is_refused_naming_the_rule_and_term_and_only_once_verified()
    {
        var (_, _, creatorToken) = await feed.SignUpAsync();
        var (_, _, token) = await feed.SignUpAsync();
        var name = $"Zoë Kowalczyk {Guid.NewGuid():N}"[..22];
        var id = (await RegisterAsync(feed.Client(creatorToken), new { kind = "name", value = name })).GetProperty("id").GetGuid();
        var prompt = $"a harbour at dawn, in the style of {CreatorNames.Normalize(name).ToUpperInvariant()}";

        // Pending: not enforced.
        Assert.Equal(HttpStatusCode.Created, (await GenerateAsync(token, prompt)).StatusCode);
        Assert.Equal(0L, await feed.ScalarAsync<long>("select count(*) from ingest.creator_optout_matches where optout_id = $1", id));

        await VerifyAsync(id);
        var before = await feed.ScalarAsync<long>("select count(*) from ingest.generations");
        var refused = await (await GenerateAsync(token, prompt)).AssertProblemAsync(422, "prompt_refused");

        Assert.Equal(("creator-optout", "creator-optout", name, "prompt"), (refused.GetProperty("check").GetString(),
            refused.GetProperty("rule").GetString(), refused.GetProperty("term").GetString(), refused.GetProperty("field").GetString()));
        Assert.Equal(before, await feed.ScalarAsync<long>("select count(*) from ingest.generations"));
        Assert.Equal(1L, await feed.ScalarAsync<long>(
            "select count(*) from ingest.creator_optout_matches where optout_id = $1 and stage = 'prompt' and field = 'prompt'", id));

        // In the negative prompt too; and the creator may name themselves.
        var negative = await (await GenerateAsync(token, "a harbour", $"nothing like {name}")).AssertProblemAsync(422, "prompt_refused");
        Assert.Equal("negativePrompt", negative.GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.Created, (await GenerateAsync(creatorToken, prompt)).StatusCode);

        // Removed: no longer enforced.
        Assert.Equal(HttpStatusCode.NoContent, (await feed.Client(creatorToken).DeleteAsync($"/api/v1/me/optouts/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await GenerateAsync(token, prompt)).StatusCode);
    }

    [Fact]
    public async Task A_prompt_naming_a_verified_strip_opt_out_is_generated_without_the_name_with_a_warning_and_stored_stripped()
    {
        var (_, _, creatorToken) = await feed.SignUpAsync();
        var (_, _, token) = await feed.SignUpAsync();
        var alias = $"Grzegorz{Guid.NewGuid():N}"[..16];
        var id = (await RegisterAsync(feed.Client(creatorToken), new { kind = "alias", value = alias, enforcement = "strip" })).GetProperty("id").GetGuid();
        await VerifyAsync(id);

        var response = await GenerateAsync(token, $"a castle at dusk by {alias.ToUpperInvariant()}'s hand, oil", $"blurry, {alias}");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("a castle at dusk by hand, oil", body.GetProperty("prompt").GetString());
        Assert.Equal("blurry", body.GetProperty("negativePrompt").GetString());
        var warnings = body.GetProperty("warnings").EnumerateArray().ToList();
        Assert.Equal([("creator-optout", "prompt", alias), ("creator-optout", "negativePrompt", alias)],
            warnings.Select(w => (w.GetProperty("check").GetString(), w.GetProperty("field").GetString(), w.GetProperty("term").GetString())));
        Assert.Equal(("a castle at dusk by hand, oil", "blurry"), (
            await feed.ScalarAsync<string>("select prompt from ingest.generations where id = $1", body.GetProperty("id").GetGuid()),
            await feed.ScalarAsync<string>("select negative_prompt from ingest.generations where id = $1", body.GetProperty("id").GetGuid())));
        Assert.Equal(2L, await feed.ScalarAsync<long>("select count(*) from ingest.creator_optout_matches where optout_id = $1 and stage = 'prompt'", id));

        // Nothing left once the name is gone: refused rather than generated from nothing.
        await (await GenerateAsync(token, alias)).AssertProblemAsync(422, "prompt_refused");
        // A prompt without the name has no warnings.
        var clean = await (await GenerateAsync(token, "a castle at dusk")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(clean.TryGetProperty("warnings", out _));
    }
}
