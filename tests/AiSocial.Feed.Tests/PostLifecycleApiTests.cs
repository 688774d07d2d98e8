using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using AiSocial.Ingest.Media;
using AiSocial.Ingest.Posts;
using AiSocial.Testing;

namespace AiSocial.Feed.Tests;

/// <summary>Posts with every field, from uploads and generations; remix lineage; editing; deletion as a tombstone.</summary>
public sealed class PostLifecycleApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private sealed record Person(string Handle, Guid Id, string Token);

    private async Task<Person> PersonAsync()
    {
        var (handle, id, token) = await feed.SignUpAsync();
        return new Person(handle, id, token);
    }

    private static MultipartFormDataContent Form(byte[]? image, params (string Name, string Value)[] fields)
    {
        var form = FeedFixture.PostForm(image, prompt: null);
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    private async Task<HttpResponseMessage> SendPostAsync(Person author, string key, MultipartFormDataContent form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/posts") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", author.Token);
        request.Headers.Add("Idempotency-Key", key);
        return await feed.Client().SendAsync(request);
    }

    /// <summary>Posts an image (a new one unless given) with these fields and returns the post's id.</summary>
    private async Task<Guid> PostAsync(Person author, byte[]? image = null, params (string Name, string Value)[] fields)
    {
        var all = fields.Any(f => f.Name == "prompt") ? fields : [("prompt", "a test prompt"), .. fields];
        var response = await SendPostAsync(author, Guid.NewGuid().ToString(), Form(image ?? TestImages.Unique(), all));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private async Task PublishAsync(Guid postId)
    {
        await using var connection = await feed.DataSource.OpenConnectionAsync();
        Assert.True(await PostStore.TransitionAsync(connection, postId, PostStatus.Published, [PostStatus.Pending], default));
    }

    private async Task<Guid> PublishedAsync(Person author, params (string Name, string Value)[] fields)
    {
        var id = await PostAsync(author, null, fields);
        await PublishAsync(id);
        return id;
    }

    private Task BlockAsync(Person blocker, Person blocked) =>
        feed.ExecuteAsync("insert into ingest.blocks (blocker_id, blocked_id) values ($1, $2)", blocker.Id, blocked.Id);

    private Task FollowAsync(Person follower, Person followee) =>
        feed.ExecuteAsync("insert into ingest.follows (follower_id, followee_id) values ($1, $2)", follower.Id, followee.Id);

    /// <summary>A generation as the generator records one: its image stored by hash, the row naming its maker.</summary>
    private async Task<(Guid Id, string Sha256)> GenerationAsync(Person maker, string prompt = "a lighthouse in fog, oil painting")
    {
        var image = TestImages.Unique(80, 60);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(image));
        var path = feed.Get<MediaStore>().PathFor(sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, image);
        await feed.ExecuteAsync("insert into ingest.media (sha256, content_type, width, height, byte_size) values ($1, 'image/png', 80, 60, $2)",
            sha256, (long)image.Length);
        var id = Guid.CreateVersion7();
        await feed.ExecuteAsync(
            """
            insert into ingest.generations (id, account_id, prompt, negative_prompt, generator, model, size, seed, parameters, media_sha256)
            values ($1, $2, $3, 'blurry', 'offline-renderer', 'offline-renderer', '80x60', 42, '{"steps": 1}', $4)
            """, id, maker.Id, prompt, sha256);
        return (id, sha256);
    }

    private async Task<JsonElement> GetJsonAsync(string path, Person? viewer = null)
    {
        var response = await feed.Client(viewer?.Token).GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Person? caller, object? json = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : JsonContent.Create(json) };
        if (caller is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", caller.Token);
        }

        return await feed.Client().SendAsync(request);
    }

    private static List<string> Tags(JsonElement post) => [.. post.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!)];

    // ---- creating ----

    [Fact]
    public async Task A_post_keeps_every_field_and_its_tags_come_normalised_from_the_field_and_the_caption()
    {
        var author = await PersonAsync();

        var response = await SendPostAsync(author, "all-fields", Form(TestImages.Png(seed: 501),
            ("prompt", "dunes at dusk"), ("negativePrompt", "people"), ("caption", "Walk on the #Dunes, then #sunset again; C#sharp is no tag"),
            ("altText", "Orange dunes under a violet sky"), ("tags", "Sunset, #ＢＥＡＣＨ  golden_hour,Été"), ("sensitive", "true"),
            ("contentWarning", "flashing colours"), ("promptVisibility", "followers"), ("allowTraining", "false")));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var post = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["sunset", "beach", "golden_hour", "été", "dunes"], Tags(post));
        Assert.Equal("people", post.GetProperty("negativePrompt").GetString());
        Assert.Equal("Orange dunes under a violet sky", post.GetProperty("altText").GetString());
        Assert.True(post.GetProperty("sensitive").GetBoolean());
        Assert.Equal("flashing colours", post.GetProperty("contentWarning").GetString());
        Assert.Equal("followers", post.GetProperty("promptVisibility").GetString());
        Assert.False(post.GetProperty("allowTraining").GetBoolean());
        var id = post.GetProperty("id").GetGuid();
        Assert.Equal(["beach", "dunes", "golden_hour", "sunset", "été"],
            (await feed.ScalarAsync<string[]>("select array_agg(tag order by tag collate \"C\") from ingest.post_tags where post_id = $1", id)).ToList());
        Assert.False(await feed.ScalarAsync<bool>("select allow_training from ingest.posts where id = $1", id));
    }

    [Fact]
    public async Task Training_can_only_be_narrowed_true_or_absent_leave_it_to_the_authors_consent()
    {
        var author = await PersonAsync();

        var allowed = await PostAsync(author, null, ("allowTraining", "true"));
        var unsaid = await PostAsync(author, null);

        foreach (var id in new[] { allowed, unsaid })
        {
            Assert.True(await feed.ScalarAsync<bool>("select allow_training is null from ingest.posts where id = $1", id));
            var post = await GetJsonAsync($"/api/v1/posts/{id}", author);
            Assert.Equal(JsonValueKind.Null, post.GetProperty("allowTraining").ValueKind); // shown as null: the author's consent decides
            Assert.False(post.GetProperty("sensitive").GetBoolean());
            Assert.Equal("public", post.GetProperty("promptVisibility").GetString());
        }
    }

    [Fact]
    public async Task The_authors_own_view_shows_what_the_training_setting_does_and_nobody_else_sees_it()
    {
        var author = await PersonAsync();
        var stranger = await PersonAsync();
        var consent = feed.Client(author.Token);
        Assert.True((await consent.PutAsJsonAsync("/api/v1/me/consent", new { purpose = "cawg.ai_training", granted = true, termsVersion = "2026-11" }))
            .IsSuccessStatusCode);
        var inherits = await PostAsync(author);
        var optedOut = await PostAsync(author, null, ("allowTraining", "false"));
        await PublishAsync(inherits);

        static (string?, string?, string?) Training(JsonElement post) => (post.GetProperty("training").GetProperty("setting").GetString(),
            post.GetProperty("training").GetProperty("effective").GetProperty("cawg.ai_training").GetString(),
            post.GetProperty("training").GetProperty("effective").GetProperty("cawg.ai_generative_training").GetString());

        Assert.Equal(("inherit", "allowed", "consent_missing"), Training(await GetJsonAsync($"/api/v1/posts/{inherits}", author)));
        Assert.Equal(("excluded", "post_setting", "consent_missing"), Training(await GetJsonAsync($"/api/v1/posts/{optedOut}", author)));
        Assert.False((await GetJsonAsync($"/api/v1/posts/{inherits}", stranger)).TryGetProperty("training", out _));
        Assert.False((await GetJsonAsync($"/api/v1/posts/{inherits}")).TryGetProperty("training", out _));

        // Withdrawing shows at once: the post still says what it says, consent no longer covers it.
        Assert.True((await consent.PutAsJsonAsync("/api/v1/me/consent", new { purpose = "cawg.ai_training", granted = false, termsVersion = "2026-11" }))
            .IsSuccessStatusCode);
        Assert.Equal(("inherit", "consent_withdrawn", "consent_missing"), Training(await GetJsonAsync($"/api/v1/posts/{inherits}", author)));
    }

    private static readonly Dictionary<string, (string Field, (string Name, string Value)[] Fields)> BadFields = new()
    {
        ["a tag with a hyphen"] = ("tags", [("tags", "good, not-good")]),
        ["a tag of 65 characters"] = ("tags", [("tags", new string('t', 65))]),
        ["a caption tag of 65 characters"] = ("caption", [("caption", "#" + new string('c', 65))]),
        ["31 tags"] = ("tags", [("tags", string.Join(' ', Enumerable.Range(0, 31).Select(i => $"t{i}")))]),
        ["an unknown prompt visibility"] = ("promptVisibility", [("promptVisibility", "friends")]),
        ["a content warning on a post said not to be sensitive"] = ("contentWarning", [("sensitive", "false"), ("contentWarning", "spiders")]),
        ["alt text of 1501 characters"] = ("altText", [("altText", new string('a', 1501))]),
        ["a negative prompt of only invisible characters"] = ("negativePrompt", [("negativePrompt", "\u200B\u200B")]),
        ["an image and a generation id"] = ("generationId", [("generationId", Guid.NewGuid().ToString())]),
    };

    [Theory]
    [InlineData("a tag with a hyphen")]
    [InlineData("a tag of 65 characters")]
    [InlineData("a caption tag of 65 characters")]
    [InlineData("31 tags")]
    [InlineData("an unknown prompt visibility")]
    [InlineData("a content warning on a post said not to be sensitive")]
    [InlineData("alt text of 1501 characters")]
    [InlineData("a negative prompt of only invisible characters")]
    [InlineData("an image and a generation id")]
    public async Task Bad_fields_are_refused_naming_the_field_and_store_nothing(string what)
    {
        var author = await PersonAsync();
        var (field, fields) = BadFields[what];
        var before = await feed.EverythingStoredAsync();

        var response = await SendPostAsync(author, "bad", Form(TestImages.Png(seed: 502), [("prompt", "p"), .. fields]));

        var problem = await response.AssertProblemAsync(400, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{what}: {problem}");
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Theory]
    [InlineData("sensitive", "maybe")]
    [InlineData("remixOf", "not-a-post-id")]
    [InlineData("generationId", "12")]
    public async Task Values_of_the_wrong_type_are_refused_and_store_nothing(string field, string value)
    {
        var author = await PersonAsync();
        var before = await feed.EverythingStoredAsync();

        var response = await SendPostAsync(author, "typed", Form(TestImages.Png(seed: 503), ("prompt", "p"), (field, value)));

        var problem = await response.AssertProblemAsync(400, "malformed-request");
        Assert.Contains(field, problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Fact]
    public async Task A_post_from_ones_own_generation_uses_its_image_and_prompt_without_another_upload()
    {
        var author = await PersonAsync();
        var (generation, sha256) = await GenerationAsync(author);
        var (media, files) = (await feed.ScalarAsync<long>("select count(*) from ingest.media"), feed.MediaFileCount());

        var response = await SendPostAsync(author, "from-generation",
            Form(null, ("generationId", generation.ToString()), ("prompt", ""), ("caption", "made it")));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var post = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("a lighthouse in fog, oil painting", post.GetProperty("prompt").GetString());
        Assert.Equal("blurry", post.GetProperty("negativePrompt").GetString());
        Assert.Equal($"/media/{sha256}", post.GetProperty("imageUrl").GetString());
        Assert.Equal("offline-renderer", post.GetProperty("generation").GetProperty("generator").GetString());
        Assert.Equal(42, post.GetProperty("generation").GetProperty("seed").GetInt64());
        Assert.Equal(generation, await feed.ScalarAsync<Guid>("select generation_id from ingest.posts where id = $1", post.GetProperty("id").GetGuid()));
        Assert.Equal((media, files), (await feed.ScalarAsync<long>("select count(*) from ingest.media"), feed.MediaFileCount()));

        var ownPrompt = await SendPostAsync(author, "own-prompt", Form(null, ("generationId", generation.ToString()), ("prompt", "my words")));
        Assert.Equal("my words", (await ownPrompt.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("prompt").GetString());
    }

    [Fact]
    public async Task Someone_elses_or_an_unknown_generation_is_refused_alike_and_stores_nothing()
    {
        var author = await PersonAsync();
        var (theirs, _) = await GenerationAsync(await PersonAsync());
        var before = await feed.EverythingStoredAsync();

        var stolen = await SendPostAsync(author, "theirs", Form(null, ("generationId", theirs.ToString())));
        var unknown = await SendPostAsync(author, "unknown", Form(null, ("generationId", Guid.NewGuid().ToString())));
        var neither = await SendPostAsync(author, "neither", Form(null, ("prompt", "no image")));

        await stolen.AssertProblemAsync(422, "generation-not-found");
        await unknown.AssertProblemAsync(422, "generation-not-found");
        Assert.True((await neither.AssertProblemAsync(400, "validation-failed")).GetProperty("errors").TryGetProperty("image", out _));
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    // ---- idempotency ----

    [Fact]
    public async Task The_same_key_replays_only_the_same_request_every_field_counts()
    {
        var author = await PersonAsync();
        var source = await PublishedAsync(await PersonAsync());
        var image = TestImages.Png(seed: 510);
        (string Name, string Value)[] fields =
        [
            ("prompt", "p"), ("negativePrompt", "n"), ("caption", "c #x"), ("altText", "a"), ("tags", "y"), ("sensitive", "true"),
            ("remixOf", source.ToString()), ("promptVisibility", "private"), ("allowTraining", "false"),
        ];

        var first = await SendPostAsync(author, "every-field", Form(image, fields));
        var replay = await SendPostAsync(author, "every-field", Form(image, fields));

        var id = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(id, (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        var before = await feed.EverythingStoredAsync();
        foreach (var changed in fields.Select(f => f.Name).Append("image").Append("contentWarning"))
        {
            (string Name, string Value)[] altered = [.. fields.Select(f => f.Name != changed ? f : (f.Name, f.Name switch
            {
                "sensitive" => "false",
                "allowTraining" => "true",
                "promptVisibility" => "followers",
                "remixOf" => id.ToString(),
                _ => f.Value + "2",
            })), .. changed == "contentWarning" ? [("contentWarning", "w")] : Array.Empty<(string, string)>()];
            var response = await SendPostAsync(author, "every-field", Form(changed == "image" ? TestImages.Png(seed: 511) : image, altered));
            await response.AssertProblemAsync(422, "idempotency-key-reused");
        }

        Assert.Equal(before, await feed.EverythingStoredAsync());
        Assert.Equal(1L, await feed.ScalarAsync<long>("select remix_count from ingest.post_counters where post_id = $1", source));
    }

    [Fact]
    public async Task Concurrent_identical_requests_with_one_key_make_one_post_and_count_one_remix()
    {
        var author = await PersonAsync();
        var source = await PublishedAsync(await PersonAsync());
        var image = TestImages.Png(seed: 512);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => SendPostAsync(author, "raced",
            Form(image, ("prompt", "raced"), ("tags", "race"), ("remixOf", source.ToString()), ("sensitive", "true"))))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid()));
        Assert.Single(ids.Distinct());
        Assert.Equal(1L, await feed.ScalarAsync<long>("select count(*) from ingest.posts where author_id = $1", author.Id));
        Assert.Equal(1L, await feed.ScalarAsync<long>("select count(*) from ingest.post_tags where post_id = $1", ids[0]));
        Assert.Equal(1L, await feed.ScalarAsync<long>("select remix_count from ingest.post_counters where post_id = $1", source));
    }

    [Fact]
    public async Task The_key_of_a_deleted_post_does_not_bring_it_back()
    {
        var author = await PersonAsync();
        var image = TestImages.Png(seed: 513);
        var first = await SendPostAsync(author, "then-deleted", Form(image, ("prompt", "p")));
        var id = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/v1/posts/{id}", author)).StatusCode);

        var again = await SendPostAsync(author, "then-deleted", Form(image, ("prompt", "p")));

        await again.AssertProblemAsync(409, "conflict");
        await (await feed.Client(author.Token).GetAsync($"/api/v1/posts/{id}")).AssertProblemAsync(404, "not-found");
    }

    // ---- seeing posts and prompts ----

    [Fact]
    public async Task Blocked_accounts_see_none_of_each_others_posts_either_way()
    {
        var author = await PersonAsync();
        var blocker = await PersonAsync();
        var blocked = await PersonAsync();
        var stranger = await PersonAsync();
        var post = await PublishedAsync(author);
        await BlockAsync(blocker, author);
        await BlockAsync(author, blocked);

        await (await feed.Client(blocker.Token).GetAsync($"/api/v1/posts/{post}")).AssertProblemAsync(404, "not-found");
        await (await feed.Client(blocked.Token).GetAsync($"/api/v1/posts/{post}")).AssertProblemAsync(404, "not-found");
        await GetJsonAsync($"/api/v1/posts/{post}", stranger);
        await GetJsonAsync($"/api/v1/posts/{post}");
    }

    [Fact]
    public async Task A_prompt_for_followers_or_for_the_author_alone_is_left_out_for_everyone_else_but_the_image_is_not()
    {
        var author = await PersonAsync();
        var follower = await PersonAsync();
        var stranger = await PersonAsync();
        await FollowAsync(follower, author);
        var forFollowers = await PublishedAsync(author, ("prompt", "secret sauce"), ("negativePrompt", "no sauce"), ("promptVisibility", "followers"));
        var forAuthor = await PublishedAsync(author, ("prompt", "very secret"), ("promptVisibility", "private"));

        (Guid Post, Person? Viewer, bool Shown)[] cases =
        [
            (forFollowers, author, true), (forFollowers, follower, true), (forFollowers, stranger, false), (forFollowers, null, false),
            (forAuthor, author, true), (forAuthor, follower, false), (forAuthor, stranger, false), (forAuthor, null, false),
        ];
        foreach (var (id, viewer, shown) in cases)
        {
            var post = await GetJsonAsync($"/api/v1/posts/{id}", viewer);
            Assert.True(shown == post.TryGetProperty("prompt", out _), $"{id} to {viewer?.Handle ?? "anyone"}");
            Assert.Equal(shown && id == forFollowers, post.TryGetProperty("negativePrompt", out _));
            Assert.StartsWith("/media/", post.GetProperty("imageUrl").GetString());
        }

        var remix = await PublishedAsync(stranger, ("remixOf", forFollowers.ToString()));
        var ancestor = (await GetJsonAsync($"/api/v1/posts/{remix}/lineage", stranger)).GetProperty("ancestors")[0];
        Assert.False(ancestor.GetProperty("post").TryGetProperty("prompt", out _));
        Assert.True((await GetJsonAsync($"/api/v1/posts/{remix}/lineage", follower)).GetProperty("ancestors")[0].GetProperty("post")
            .TryGetProperty("prompt", out _));
    }

    // ---- remixes and lineage ----

    [Fact]
    public async Task Lineage_lists_ancestors_nearest_first_marking_deleted_and_unavailable_ones()
    {
        var (rootAuthor, midAuthor, nearAuthor, leafAuthor, viewer) =
            (await PersonAsync(), await PersonAsync(), await PersonAsync(), await PersonAsync(), await PersonAsync());
        var root = await PublishedAsync(rootAuthor);
        var mid = await PublishedAsync(midAuthor, ("remixOf", root.ToString()));
        var near = await PublishedAsync(nearAuthor, ("remixOf", mid.ToString()));
        var leaf = await PublishedAsync(leafAuthor, ("remixOf", near.ToString()));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/v1/posts/{mid}", midAuthor)).StatusCode);
        await BlockAsync(rootAuthor, viewer);

        var ancestors = (await GetJsonAsync($"/api/v1/posts/{leaf}/lineage", viewer)).GetProperty("ancestors").EnumerateArray().ToList();

        Assert.Equal([near, mid, root], ancestors.Select(a => a.GetProperty("id").GetGuid()));
        Assert.Equal(near, ancestors[0].GetProperty("post").GetProperty("id").GetGuid());
        Assert.Equal("""{"id":"$","deleted":true}""".Replace("$", mid.ToString()), ancestors[1].GetRawText());
        Assert.Equal("""{"id":"$","unavailable":true}""".Replace("$", root.ToString()), ancestors[2].GetRawText());
        var anyone = (await GetJsonAsync($"/api/v1/posts/{leaf}/lineage")).GetProperty("ancestors");
        Assert.Equal(root, anyone[2].GetProperty("post").GetProperty("id").GetGuid());
        Assert.Equal(near, (await GetJsonAsync($"/api/v1/posts/{leaf}", viewer)).GetProperty("remixOf").GetGuid());
        Assert.Empty((await GetJsonAsync($"/api/v1/posts/{root}/lineage")).GetProperty("ancestors").EnumerateArray());
    }

    [Fact]
    public async Task An_unpublished_ancestor_is_its_authors_to_see_and_unavailable_to_others()
    {
        var author = await PersonAsync();
        var other = await PersonAsync();
        var draft = await PostAsync(author);
        var remix = await PublishedAsync(author, ("remixOf", draft.ToString()));

        Assert.Equal(draft, (await GetJsonAsync($"/api/v1/posts/{remix}/lineage", author)).GetProperty("ancestors")[0].GetProperty("post")
            .GetProperty("id").GetGuid());
        Assert.True((await GetJsonAsync($"/api/v1/posts/{remix}/lineage", other)).GetProperty("ancestors")[0].GetProperty("unavailable").GetBoolean());
    }

    [Fact]
    public async Task A_remix_source_must_be_a_live_post_the_author_can_see()
    {
        var author = await PersonAsync();
        var stranger = await PersonAsync();
        var pending = await PostAsync(stranger);
        var deleted = await PublishedAsync(stranger);
        await SendAsync(HttpMethod.Delete, $"/api/v1/posts/{deleted}", stranger);
        var blocker = await PersonAsync();
        var blockersPost = await PublishedAsync(blocker);
        await BlockAsync(blocker, author);
        var before = await feed.EverythingStoredAsync();

        foreach (var source in new[] { Guid.NewGuid(), pending, deleted, blockersPost })
        {
            var response = await SendPostAsync(author, $"remix-{source}", Form(TestImages.Png(seed: 520), ("prompt", "p"), ("remixOf", source.ToString())));
            await response.AssertProblemAsync(422, "remix-source-not-found");
        }

        Assert.Equal(before, await feed.EverythingStoredAsync());
    }

    [Fact]
    public async Task Remixes_page_newest_first_show_only_what_the_viewer_may_see_and_are_counted()
    {
        var sourceAuthor = await PersonAsync();
        var viewer = await PersonAsync();
        var blockedRemixer = await PersonAsync();
        var source = await PublishedAsync(sourceAuthor);
        var visible = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            visible.Add(await PublishedAsync(await PersonAsync(), ("remixOf", source.ToString())));
        }

        var pending = await PostAsync(await PersonAsync(), null, ("remixOf", source.ToString()));
        var hidden = await PublishedAsync(blockedRemixer, ("remixOf", source.ToString()));
        await BlockAsync(viewer, blockedRemixer);

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await GetJsonAsync($"/api/v1/posts/{source}/remixes?limit=2{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}", viewer);
            var items = page.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("id").GetGuid()).ToList();
            Assert.True(items.Count <= 2);
            seen.AddRange(items);
            if (seen.Count == 2)
            {
                visible.Add(await PublishedAsync(await PersonAsync(), ("remixOf", source.ToString()))); // arrives between pages
            }

            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(visible.Take(5).Reverse(), seen);
        Assert.DoesNotContain(pending, seen);
        Assert.DoesNotContain(hidden, seen);
        var counted = (await GetJsonAsync($"/api/v1/posts/{source}")).GetProperty("remixCount").GetInt64();
        Assert.Equal(8, counted); // every remix made, published or not: five, the one between pages, the pending one, the blocked one's
        Assert.Equal(7, (await GetJsonAsync($"/api/v1/posts/{source}/remixes?limit=100")).GetProperty("items").GetArrayLength()); // all but the pending one
    }

    [Theory]
    [InlineData("?limit=0", "validation-failed")]
    [InlineData("?limit=101", "validation-failed")]
    [InlineData("?cursor=zzz", "invalid-cursor")]
    public async Task Bad_paging_of_remixes_and_edits_is_refused(string query, string code)
    {
        var post = await PublishedAsync(await PersonAsync());

        await (await feed.Client().GetAsync($"/api/v1/posts/{post}/remixes{query}")).AssertProblemAsync(400, code);
        await (await feed.Client().GetAsync($"/api/v1/posts/{post}/edits{query}")).AssertProblemAsync(400, code);
    }

    [Fact]
    public async Task Blocked_viewers_get_neither_lineage_nor_remixes_nor_edits_of_the_blocked_authors_post()
    {
        var author = await PersonAsync();
        var viewer = await PersonAsync();
        var post = await PublishedAsync(author);
        await BlockAsync(viewer, author);

        foreach (var path in new[] { "lineage", "remixes", "edits" })
        {
            await (await feed.Client(viewer.Token).GetAsync($"/api/v1/posts/{post}/{path}")).AssertProblemAsync(404, "not-found");
            await (await feed.Client().GetAsync($"/api/v1/posts/{Guid.NewGuid()}/{path}")).AssertProblemAsync(404, "not-found");
            await GetJsonAsync($"/api/v1/posts/{post}/{path}");
        }
    }

    // ---- editing ----

    [Fact]
    public async Task The_author_edits_caption_and_alt_text_the_tags_follow_the_caption_and_the_history_is_kept()
    {
        var author = await PersonAsync();
        var reader = await PersonAsync();
        var post = await PublishedAsync(author, ("caption", "first #old"), ("altText", "alt one"), ("tags", "given"));

        var edited = await SendAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", author, new { caption = "second #New" });
        var cleared = await SendAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", author, new { altText = "" });

        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal(["given", "new"], Tags(await edited.Content.ReadFromJsonAsync<JsonElement>()));
        var now = await cleared.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("second #New", now.GetProperty("caption").GetString());
        Assert.False(now.TryGetProperty("altText", out _));
        Assert.True(now.TryGetProperty("editedAt", out _));
        Assert.Equal(["given", "new"], (await feed.ScalarAsync<string[]>("select array_agg(tag order by tag) from ingest.post_tags where post_id = $1", post)).ToList());

        var history = (await GetJsonAsync($"/api/v1/posts/{post}/edits", reader)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, history.Count);
        Assert.Equal(("second #New", "alt one"), (history[0].GetProperty("caption").GetString(), history[0].GetProperty("altText").GetString()));
        Assert.Equal(("first #old", "alt one"), (history[1].GetProperty("caption").GetString(), history[1].GetProperty("altText").GetString()));

        var firstPage = await GetJsonAsync($"/api/v1/posts/{post}/edits?limit=1", author);
        var secondPage = await GetJsonAsync($"/api/v1/posts/{post}/edits?limit=1&cursor={firstPage.GetProperty("nextCursor").GetString()}", author);
        Assert.Equal("first #old", secondPage.GetProperty("items")[0].GetProperty("caption").GetString());
        Assert.Equal(JsonValueKind.Null, secondPage.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task Nobody_but_the_author_edits_a_post_and_a_refused_edit_changes_nothing()
    {
        var author = await PersonAsync();
        var other = await PersonAsync();
        var post = await PublishedAsync(author, ("caption", "mine"));
        var before = await feed.EverythingStoredAsync();

        await (await SendAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", other, new { caption = "hijacked" })).AssertProblemAsync(404, "not-found");
        await (await SendAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", null, new { caption = "anonymous" })).AssertProblemAsync(401, "unauthorized");
        await (await SendAsync(HttpMethod.Patch, $"/api/v1/posts/{Guid.NewGuid()}", author, new { caption = "x" })).AssertProblemAsync(404, "not-found");
        await (await SendAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", author, new { })).AssertProblemAsync(400, "validation-failed");
        await (await SendAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", author, new { caption = new string('c', 2201) }))
            .AssertProblemAsync(400, "validation-failed");
        await (await SendAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", author,
            new { caption = string.Join(' ', Enumerable.Range(0, 31).Select(i => $"#t{i}")) })).AssertProblemAsync(400, "validation-failed");

        Assert.Equal(before, await feed.EverythingStoredAsync());
        Assert.Equal("mine", (await GetJsonAsync($"/api/v1/posts/{post}")).GetProperty("caption").GetString());
    }

    // ---- deleting ----

    [Fact]
    public async Task A_deleted_post_vanishes_from_the_timeline_and_every_endpoint_and_its_media_is_no_longer_served()
    {
        var author = await PersonAsync();
        var other = await PersonAsync();
        var post = await PublishedAsync(author, ("tags", "gone"));
        var remix = await PublishedAsync(other, ("remixOf", post.ToString()));
        var imageUrl = (await GetJsonAsync($"/api/v1/posts/{post}")).GetProperty("imageUrl").GetString()!;
        Assert.Contains(post, await PublicTimelineAsync());
        Assert.Equal(HttpStatusCode.OK, (await feed.Client().GetAsync(imageUrl)).StatusCode);

        var deleted = await SendAsync(HttpMethod.Delete, $"/api/v1/posts/{post}", author);
        var again = await SendAsync(HttpMethod.Delete, $"/api/v1/posts/{post}", author);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.DoesNotContain(post, await PublicTimelineAsync());
        foreach (var viewer in new Person?[] { author, other, null })
        {
            foreach (var path in new[] { "", "/lineage", "/remixes", "/edits" })
            {
                await (await feed.Client(viewer?.Token).GetAsync($"/api/v1/posts/{post}{path}")).AssertProblemAsync(404, "not-found");
            }
        }

        await (await feed.Client().GetAsync(imageUrl)).AssertProblemAsync(404, "not-found");
        await (await feed.Client(other.Token).GetAsync(imageUrl)).AssertProblemAsync(404, "not-found");
        await (await SendAsync(HttpMethod.Patch, $"/api/v1/posts/{post}", author, new { caption = "revived?" })).AssertProblemAsync(404, "not-found");
        Assert.Equal(0L, await feed.ScalarAsync<long>("select count(*) from ingest.post_tags where post_id = $1", post));
        var link = (await GetJsonAsync($"/api/v1/posts/{remix}/lineage", other)).GetProperty("ancestors")[0];
        Assert.Equal((post, true), (link.GetProperty("id").GetGuid(), link.GetProperty("deleted").GetBoolean()));
        Assert.False(link.TryGetProperty("post", out _));
    }

    [Fact]
    public async Task Deleting_a_remix_uncounts_it_and_media_another_live_post_shows_stays_served()
    {
        var author = await PersonAsync();
        var source = await PublishedAsync(await PersonAsync());
        var image = TestImages.Png(seed: 530);
        var remix = await PostAsync(author, image, ("remixOf", source.ToString()));
        await PublishAsync(remix);
        var twin = await PostAsync(await PersonAsync(), image);
        await PublishAsync(twin);
        var imageUrl = (await GetJsonAsync($"/api/v1/posts/{remix}")).GetProperty("imageUrl").GetString()!;
        Assert.Equal(1, (await GetJsonAsync($"/api/v1/posts/{source}")).GetProperty("remixCount").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/v1/posts/{remix}", author)).StatusCode);

        Assert.Equal(0, (await GetJsonAsync($"/api/v1/posts/{source}")).GetProperty("remixCount").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await feed.Client().GetAsync(imageUrl)).StatusCode);
        Assert.Empty((await GetJsonAsync($"/api/v1/posts/{source}/remixes")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Nobody_but_the_author_deletes_a_post_and_a_refused_delete_changes_nothing()
    {
        var author = await PersonAsync();
        var other = await PersonAsync();
        var post = await PublishedAsync(author);
        var before = await feed.EverythingStoredAsync();

        await (await SendAsync(HttpMethod.Delete, $"/api/v1/posts/{post}", other)).AssertProblemAsync(404, "not-found");
        await (await SendAsync(HttpMethod.Delete, $"/api/v1/posts/{post}", null)).AssertProblemAsync(401, "unauthorized");
        await (await SendAsync(HttpMethod.Delete, $"/api/v1/posts/{Guid.NewGuid()}", author)).AssertProblemAsync(404, "not-found");

        Assert.Equal(before, await feed.EverythingStoredAsync());
        Assert.False(await feed.ScalarAsync<bool>("select deleted_at is not null from ingest.posts where id = $1", post));
        await GetJsonAsync($"/api/v1/posts/{post}", other);
    }

    private async Task<List<Guid>> PublicTimelineAsync() =>
        [.. (await GetJsonAsync("/api/v1/timelines/public?limit=100")).GetProperty("items").EnumerateArray().Select(p => p.GetProperty("id").GetGuid())];
}
