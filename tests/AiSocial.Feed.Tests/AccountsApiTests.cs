using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AiSocial.Testing;

namespace AiSocial.Feed.Tests;

public sealed class AccountsApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    [Fact]
    public async Task Signing_up_returns_the_account_and_a_token_that_works()
    {
        var response = await feed.Client().PostAsJsonAsync("/api/v1/accounts",
            new { handle = "Ada_Lovelace", displayName = "Ada", password = TestPasswords.Default, birthYear = 1990 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/v1/accounts/ada_lovelace", response.Headers.Location?.ToString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ada_lovelace", body.GetProperty("handle").GetString());
        var me = await feed.Client(body.GetProperty("token").GetString()).GetFromJsonAsync<JsonElement>("/api/v1/me");
        Assert.Equal(body.GetProperty("id").GetGuid(), me.GetProperty("id").GetGuid());
        Assert.Equal(["user"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        var profile = await feed.Client().GetFromJsonAsync<JsonElement>("/api/v1/accounts/ada_lovelace");
        Assert.False(profile.TryGetProperty("birthYear", out _));
    }

    [Fact]
    public async Task A_taken_handle_is_a_conflict()
    {
        var (handle, _, _) = await feed.SignUpAsync();

        var response = await feed.Client().PostAsJsonAsync("/api/v1/accounts",
            new { handle = handle.ToUpperInvariant(), displayName = "Copy", password = TestPasswords.Default, birthYear = 1990 });

        await response.AssertProblemAsync(409, "handle-taken");
    }

    [Fact]
    public async Task Invalid_fields_come_back_as_one_validation_problem_naming_each_field()
    {
        var response = await feed.Client().PostAsJsonAsync("/api/v1/accounts", new { handle = "x", password = "short" });

        var problem = await response.AssertProblemAsync(400, "validation-failed");
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order();
        Assert.Equal(["birthYear", "displayName", "handle", "password"], fields);
    }

    [Theory]
    [InlineData("{\"handle\": \"abc\",", "malformed")]
    [InlineData("{\"handle\": \"abc\", \"birthYear\": \"nineteen ninety\"}", "$.birthYear")]
    [InlineData("[1, 2, 3]", "malformed")]
    public async Task Unreadable_json_is_a_malformed_request_that_says_where(string json, string mention)
    {
        var response = await feed.Client().PostAsync("/api/v1/accounts", new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(400, "malformed-request");
        Assert.Contains(mention, problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("AiSocial.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Signing_in_issues_a_token_and_signing_out_revokes_it()
    {
        var (handle, _, _) = await feed.SignUpAsync();

        var wrong = await feed.Client().PostAsJsonAsync("/api/v1/sessions", new { handle, password = "not the password" });
        await wrong.AssertProblemAsync(401, "invalid-credentials");
        var session = await feed.Client().PostAsJsonAsync("/api/v1/sessions", new { handle, password = TestPasswords.Default });
        var token = (await session.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        var client = feed.Client(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/v1/sessions/current")).StatusCode);

        await (await client.GetAsync("/api/v1/me")).AssertProblemAsync(401, "invalid-token");
    }

    [Fact]
    public async Task A_bearer_token_is_checked_with_one_query()
    {
        var person = await feed.SignUpAsync();
        using var commands = new DatabaseCommands(feed.ConnectionString);

        var response = await feed.Client(person.Token).GetAsync("/api/v1/me/consent");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, commands.Texts.Count(text => text.Contains("ingest.access_tokens", StringComparison.Ordinal)
                                                     || text.Contains("ingest.accounts", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Without_a_token_the_answer_says_how_to_authenticate()
    {
        var response = await feed.Client().GetAsync("/api/v1/me");

        await response.AssertProblemAsync(401, "unauthorized");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        await (await feed.Client("ais_wrong").GetAsync("/api/v1/me")).AssertProblemAsync(401, "invalid-token");
    }

    [Fact]
    public async Task An_unknown_profile_is_not_found()
    {
        await (await feed.Client().GetAsync("/api/v1/accounts/nobody_like_this")).AssertProblemAsync(404, "not-found");
    }
}
