using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AiSocial.Ingest.Media;
using AiSocial.Testing;

namespace AiSocial.Feed.Tests;

/// <summary>
/// <c>DELETE /api/v1/me</c>: a person who posted, commented, liked, followed, blocked, reported, generated, consented and
/// mistyped their password is erased, and then no table of any schema holds anything of theirs, while the people who
/// remixed, liked and answered their posts keep their own posts, comments and counts.
/// </summary>
public sealed class AccountErasureTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    /// <summary>The erased person's requests come from this loopback address, so any trace of their client address can be told from everyone else's.</summary>
    private static readonly IPAddress ErasedAddress = IPAddress.Parse("127.0.0.77");

    private HttpClient ClientFrom(IPAddress local, string? token = null)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = feed.Address };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement;
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

    private async Task<Guid> PublishedPostAsync(HttpClient author, byte[]? image, params (string Name, string Value)[] fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/posts") { Content = Form(image ?? TestImages.Unique(), fields) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        var id = (await JsonAsync(await author.SendAsync(request), HttpStatusCode.Accepted)).GetProperty("id").GetGuid();
        await using var connection = await feed.DataSource.OpenConnectionAsync();
        Assert.True(await Ingest.Posts.PostStore.TransitionAsync(connection, id, Ingest.Posts.PostStatus.Published, [Ingest.Posts.PostStatus.Pending], default));
        return id;
    }

    private static HttpRequestMessage EraseRequest(object body) =>
        new(HttpMethod.Delete, "/api/v1/me") { Content = JsonContent.Create(body) };

    [Fact]
    public async Task An_erased_account_leaves_no_personal_data_in_any_table_and_the_people_around_it_keep_theirs()
    {
        // Everything the person writes carries this marker, so a search for it finds any copy in any column.
        var marker = $"zq{Guid.NewGuid():N}"[..14];
        var handle = $"al_{marker}";
        var displayName = $"Alma {marker} Quist";
        const string password = "correct horse battery";
        var signedUp = await JsonAsync(await ClientFrom(ErasedAddress).PostAsJsonAsync("/api/v1/accounts",
            new { handle, displayName, password, birthYear = 1987 }), HttpStatusCode.Created);
        var aliceId = signedUp.GetProperty("id").GetGuid();
        var alice = ClientFrom(ErasedAddress, signedUp.GetProperty("token").GetString());

        // A mistyped password (a sign-in failure under the handle and the address), then a second session.
        await JsonAsync(await ClientFrom(ErasedAddress).PostAsJsonAsync("/api/v1/sessions", new { handle, password = "wrong password!" }),
            HttpStatusCode.Unauthorized);
        var session = await JsonAsync(await ClientFrom(ErasedAddress).PostAsJsonAsync("/api/v1/sessions", new { handle, password }), HttpStatusCode.OK);
        var secondToken = session.GetProperty("token").GetString()!;
        await JsonAsync(await alice.PutAsJsonAsync("/api/v1/me/consent",
            new { purpose = "cawg.ai_training", granted = true, termsVersion = "2026-11" }), HttpStatusCode.OK);

        var bob = await feed.PersonAsync();
        var carol = await feed.PersonAsync();
        var dave = await feed.PersonAsync();
        var bobClient = ClientFrom(IPAddress.Loopback, bob.Client.DefaultRequestHeaders.Authorization!.Parameter);

        // Her posts: one with an image only she uses (edited once), one whose image Bob posted too; a generation.
        var unique = TestImages.Unique();
        var shared = TestImages.Unique();
        var original = await PublishedPostAsync(alice, unique, ("prompt", $"prompt {marker}"), ("negativePrompt", $"negative {marker}"),
            ("caption", $"caption {marker} #t{marker}"), ("altText", $"alt {marker}"), ("tags", $"g{marker}"));
        await JsonAsync(await alice.PatchAsJsonAsync($"/api/v1/posts/{original}", new { caption = $"edited {marker}" }), HttpStatusCode.OK);
        var second = await PublishedPostAsync(alice, shared, ("prompt", $"second {marker}"));
        var bobsCopy = await PublishedPostAsync(bobClient, shared, ("prompt", "the same picture, posted by bob"));
        var generation = await JsonAsync(await alice.PostAsJsonAsync("/api/v1/generations", new { prompt = $"generated {marker}" }), HttpStatusCode.Created);

        // What she does to others.
        var bobsPost = await PublishedPostAsync(bobClient, null, ("prompt", "bob's own picture"));
        var aliceComment = (await JsonAsync(await alice.PostAsJsonAsync($"/api/v1/posts/{bobsPost}/comments", new { body = $"comment {marker}" }),
            HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await JsonAsync(await alice.PostAsync($"/api/v1/posts/{bobsPost}/like", null), HttpStatusCode.OK);
        await JsonAsync(await alice.PostAsync($"/api/v1/posts/{bobsPost}/repost", null), HttpStatusCode.OK);
        await JsonAsync(await alice.PostAsync($"/api/v1/accounts/{bob.Handle}/follow", null), HttpStatusCode.OK);
        await JsonAsync(await alice.PostAsync($"/api/v1/accounts/{carol.Handle}/mute", null), HttpStatusCode.OK);
        await JsonAsync(await alice.PostAsync($"/api/v1/accounts/{dave.Handle}/block", null), HttpStatusCode.OK);
        await JsonAsync(await alice.PostAsJsonAsync("/api/v1/reports",
            new { subjectType = "post", subjectId = bobsPost.ToString(), reason = "spam", text = $"report {marker}" }), HttpStatusCode.Created);
        await JsonAsync(await alice.PostAsJsonAsync("/api/v1/me/optouts", new { kind = "name", value = $"Alma {marker}" }), HttpStatusCode.Created);
        await JsonAsync(await alice.PostAsJsonAsync("/api/v1/events", new { events = new[] { new { type = "view", postId = bobsPost.ToString() } } }),
            HttpStatusCode.Accepted);

        // What others do to her: a remix, a like, a comment, a reply to her comment, a follow.
        var remix = await PublishedPostAsync(bobClient, null, ("prompt", "bob's remix"), ("remixOf", original.ToString()));
        await JsonAsync(await bobClient.PostAsync($"/api/v1/posts/{original}/like", null), HttpStatusCode.OK);
        await JsonAsync(await bobClient.PostAsJsonAsync($"/api/v1/posts/{original}/comments", new { body = "bob likes it" }), HttpStatusCode.Created);
        await JsonAsync(await bobClient.PostAsJsonAsync($"/api/v1/posts/{bobsPost}/comments", new { body = "bob answers", parentId = aliceComment }),
            HttpStatusCode.Created);
        await JsonAsync(await bobClient.PostAsync($"/api/v1/accounts/{handle}/follow", null), HttpStatusCode.OK);

        var passwordHash = await feed.ScalarAsync<string>("select password_hash from ingest.accounts where id = $1", aliceId);
        var sharedSha = await feed.ScalarAsync<string>("select media_sha256 from ingest.posts where id = $1", second);
        var generatedSha = generation.GetProperty("imageUrl").GetString()!["/media/".Length..];
        var uniqueSha = await feed.ScalarAsync<string>("select media_sha256 from ingest.posts where id = $1", original);
        var needles = new[] { handle, displayName, marker, passwordHash, ErasedAddress.ToString() };
        foreach (var needle in needles)
        {
            Assert.NotEmpty(await FindAsync(needle)); // the search is not blind
        }

        // A wrong or missing password erases nothing.
        var before = await feed.EverythingStoredAsync();
        await (await alice.SendAsync(EraseRequest(new { password = "not my password" }))).AssertProblemAsync(403, "password-incorrect");
        await (await alice.SendAsync(EraseRequest(new { }))).AssertProblemAsync(400, "validation-failed");
        Assert.Equal(before, await feed.EverythingStoredAsync());

        var erased = await alice.SendAsync(EraseRequest(new { password }));
        Assert.Equal(HttpStatusCode.NoContent, erased.StatusCode);

        // Signed out everywhere, and the handle and password open nothing.
        Assert.Equal(HttpStatusCode.Unauthorized, (await alice.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ClientFrom(IPAddress.Loopback, secondToken).GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bobClient.GetAsync($"/api/v1/accounts/{handle}")).StatusCode);

        // No text, JSON or bytes of any column of any table holds the handle, name, password hash, texts or address.
        foreach (var needle in needles)
        {
            Assert.True((await FindAsync(needle)).Count == 0, $"'{needle}' is still in {string.Join(", ", await FindAsync(needle))}");
        }

        // The account id remains only where a row must outlive the person and points at the tombstone; nowhere else.
        // The rule: the tombstone account row itself; the author of their tombstoned posts (others' remixes link to
        // them); the author of their emptied comments (others' replies hang under them); the audit log's actor and
        // subject (it is append-only: what was done stays, without who in person).
        var allowed = new Dictionary<string, string>
        {
            ["ingest.accounts.id"] = "select count(*) from ingest.accounts where id = $1 and erased_at is not null and display_name = 'Erased account'",
            ["ingest.posts.author_id"] = "select count(*) from ingest.posts where author_id = $1 and deleted_at is not null and prompt is null and caption is null and alt_text is null and media_sha256 is null and tags = '{}'",
            ["ingest.comments.author_id"] = "select count(*) from ingest.comments where author_id = $1 and deleted_at is not null and body = ''",
            ["ingest.audit_log.actor_id"] = "select count(*) from ingest.audit_log where actor_id = $1",
            ["ingest.audit_log.subject_id"] = "select count(*) from ingest.audit_log where subject_id = $1::text",
        };
        var found = await FindAsync(aliceId.ToString());
        Assert.True(found.All(allowed.ContainsKey), $"the account id is in {string.Join(", ", found.Where(f => !allowed.ContainsKey(f)))}");
        foreach (var column in found)
        {
            var (schema, table, name) = (column.Split('.')[0], column.Split('.')[1], column.Split('.')[2]);
            Assert.Equal(await feed.ScalarAsync<long>($"select count(*) from {schema}.{table} where {name}::text = $1", aliceId.ToString()),
                await feed.ScalarAsync<long>(allowed[column], aliceId));
        }

        // (Trying the old handle counts a failed sign-in under it, which is about whoever tries, so only now.)
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await ClientFrom(IPAddress.Loopback).PostAsJsonAsync("/api/v1/sessions", new { handle, password })).StatusCode);

        // The pseudonymous record for the datasets, and the audit entry (whose text the search above already cleared).
        var subject = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(aliceId.ToString())));
        Assert.Equal(1L, await feed.ScalarAsync<long>("select count(*) from ingest.erasures where subject = $1", subject));
        Assert.Equal(1L, await feed.ScalarAsync<long>("select count(*) from ingest.audit_log where action = 'account.erase' and subject_id = $1", subject));
        // The ledger says, under the pseudonym only, that the grant ended with the erasure.
        Assert.Equal("erasure", await feed.ScalarAsync<string>(
            "select source_kind from ingest.consent_events where subject = $1 and purpose = 'cawg.ai_training' and not granted order by id desc limit 1", subject));

        // Images: hers alone are gone, row and files; the one Bob posted too stays, as does his post of it.
        var store = feed.Get<MediaStore>();
        foreach (var gone in new[] { uniqueSha, generatedSha })
        {
            Assert.Equal(0L, await feed.ScalarAsync<long>("select count(*) from ingest.media where sha256 = $1", gone));
            Assert.False(File.Exists(store.PathFor(gone)));
            Assert.False(File.Exists(store.ThumbnailPathFor(gone)));
        }

        Assert.True(store.Exists(sharedSha));
        Assert.Equal(HttpStatusCode.OK, (await bobClient.GetAsync($"/media/{sharedSha}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bobClient.GetAsync($"/api/v1/posts/{bobsCopy}")).StatusCode);

        // Her posts are gone from reads and timelines; Bob's remix stays, its lineage saying its source was deleted.
        Assert.Equal(HttpStatusCode.NotFound, (await bobClient.GetAsync($"/api/v1/posts/{original}")).StatusCode);
        var timeline = (await JsonAsync(await bobClient.GetAsync("/api/v1/timelines/public?limit=100"), HttpStatusCode.OK)).GetProperty("items")
            .EnumerateArray().Select(item => item.GetProperty("id").GetGuid()).ToList();
        Assert.DoesNotContain(original, timeline);
        Assert.DoesNotContain(second, timeline);
        Assert.Contains(remix, timeline);
        var lineage = await JsonAsync(await bobClient.GetAsync($"/api/v1/posts/{remix}/lineage"), HttpStatusCode.OK);
        Assert.True(lineage.GetProperty("ancestors")[0].GetProperty("deleted").GetBoolean());

        // Bob's post lost her like, repost and comment from its counts, not his reply; his counts lost her follow both ways.
        var bobs = await JsonAsync(await bobClient.GetAsync($"/api/v1/posts/{bobsPost}"), HttpStatusCode.OK);
        Assert.Equal((0, 1), (bobs.GetProperty("likeCount").GetInt32(), bobs.GetProperty("commentCount").GetInt32()));
        Assert.Equal(0L, await feed.ScalarAsync<long>("select repost_count from ingest.post_counters where post_id = $1", bobsPost));
        var profile = await JsonAsync(await bobClient.GetAsync($"/api/v1/accounts/{bob.Handle}"), HttpStatusCode.OK);
        Assert.Equal((0, 0), (profile.GetProperty("followerCount").GetInt32(), profile.GetProperty("followingCount").GetInt32()));
        Assert.Equal(1L, await feed.ScalarAsync<long>("select count(*) from ingest.comments where post_id = $1 and deleted_at is null", bobsPost));
    }

    [Fact]
    public async Task Erasing_without_a_token_is_refused()
    {
        var response = await ClientFrom(IPAddress.Loopback).SendAsync(EraseRequest(new { password = "anything at all" }));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>
    /// Every column of every table in every schema whose values hold <paramref name="needle"/>, as schema.table.column:
    /// text, character, JSON and arrays by their text, bytes by the needle's UTF-8 bytes, uuids by equality.
    /// </summary>
    private async Task<List<string>> FindAsync(string needle)
    {
        var columns = new List<(string Schema, string Table, string Column, string Type)>();
        await using (var command = feed.DataSource.CreateCommand(
            """
            select c.table_schema, c.table_name, c.column_name, c.data_type
            from information_schema.columns c
            join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
            where c.table_schema not in ('pg_catalog', 'information_schema') and c.table_schema not like 'pg\_%'
              and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY', 'uuid')
            order by 1, 2, 3
            """))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                columns.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            }
        }

        var isUuid = Guid.TryParse(needle, out _);
        var found = new List<string>();
        foreach (var (schema, table, column, type) in columns)
        {
            var condition = type switch
            {
                "bytea" => $"position(convert_to($1, 'UTF8') in \"{column}\") > 0",
                "uuid" when isUuid => $"\"{column}\" = $1::uuid",
                "uuid" => null,
                _ => $"strpos(lower(\"{column}\"::text), lower($1)) > 0",
            };
            if (condition is not null
                && await feed.ScalarAsync<bool>($"select exists (select 1 from \"{schema}\".\"{table}\" where {condition})", needle))
            {
                found.Add($"{schema}.{table}.{column}");
            }
        }

        return found;
    }
}
