using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Policy;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The policies API on the console host: moderators read, admins change; every refusal a problem that changes nothing.</summary>
public sealed class PolicyEndpointsTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    private const string Base = "/api/v1/moderation/policies";

    private async Task<HttpClient> ClientAsync(string role)
    {
        var account = await console.CreateAccountAsync(role);
        var client = console.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await console.Get<AccessTokens>().IssueAsync(account.Id, default)).Token);
        return client;
    }

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(code, problem["code"]!.GetValue<string>());
        return problem;
    }

    private static async Task<int> CreateDraftAsync(HttpClient admin, string description)
    {
        var created = await admin.PostAsJsonAsync(Base, new { description });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal($"{Base}/{body["version"]}", created.Headers.Location!.OriginalString);
        return body["version"]!.GetValue<int>();
    }

    [Fact]
    public async Task Moderators_read_versions_and_their_documents_but_may_not_change_them()
    {
        var moderator = await ClientAsync(Roles.Moderator);

        var list = (await moderator.GetFromJsonAsync<JsonArray>(Base))!;
        var shipped = (await moderator.GetFromJsonAsync<JsonObject>($"{Base}/1"))!;

        Assert.Contains(list, v => v!["version"]!.GetValue<int>() == 1 && v["rules"]!.GetValue<int>() == 8);
        Assert.Equal("v1", shipped["label"]!.GetValue<string>());
        Assert.Equal("bank-match", shipped["document"]!["rules"]![0]!["id"]!.GetValue<string>());
        await ProblemAsync(await moderator.PostAsJsonAsync(Base, new { description = "mine" }), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAsync(await moderator.PostAsync($"{Base}/1/activate", null), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAsync(await console.Client().GetAsync(Base), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAsync(await (await ClientAsync(Roles.User)).GetAsync(Base), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task An_admin_drafts_edits_diffs_backtests_shadows_and_activates_a_version_each_step_audited()
    {
        var admin = await ClientAsync(Roles.Admin);
        var version = await CreateDraftAsync(admin, "stricter sexy threshold");
        var draft = (await admin.GetFromJsonAsync<JsonObject>($"{Base}/{version}"))!;
        var document = draft["document"]!.AsObject();
        document["thresholds"]!["nsfw/sexy"] = 0.3;

        var saved = await admin.PutAsJsonAsync($"{Base}/{version}", new { document, description = "sexy at 0.3" });
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal(0.3, (await admin.GetFromJsonAsync<JsonObject>($"{Base}/{version}"))!["document"]!["thresholds"]!["nsfw/sexy"]!.GetValue<double>());
        var diff = (await admin.GetFromJsonAsync<JsonObject>($"{Base}/{version}/diff"))!;
        Assert.Equal("nsfw/sexy", diff["thresholds"]![0]!["key"]!.GetValue<string>());
        var backtest = await admin.PostAsync($"{Base}/{version}/backtest?last=50", null);
        Assert.Equal(HttpStatusCode.OK, backtest.StatusCode);
        Assert.Equal(version, (await backtest.Content.ReadFromJsonAsync<JsonObject>())!["version"]!.GetValue<int>());
        Assert.True((await (await admin.PostAsync($"{Base}/{version}/shadow", null)).Content.ReadFromJsonAsync<JsonObject>())!["shadow"]!.GetValue<bool>());
        var report = (await admin.GetFromJsonAsync<JsonObject>($"{Base}/{version}/shadow"))!;
        Assert.Equal((true, 0), (report["running"]!.GetValue<bool>(), report["evaluated"]!.GetValue<int>()));
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"{Base}/{version}/shadow")).StatusCode);

        var activated = await admin.PostAsync($"{Base}/{version}/activate", null);

        Assert.Equal("active", (await activated.Content.ReadFromJsonAsync<JsonObject>())!["state"]!.GetValue<string>());
        Assert.Equal(version, (await console.Get<PolicyStore>().LiveAsync()).Active.Version);
        var audit = await console.Get<AuditLog>().ForSubjectAsync("policy", version.ToString(), default);
        Assert.Equal(["policy.draft", "policy.save", "policy.shadow.start", "policy.shadow.stop", "policy.activate"], audit.Select(e => e.Action));
        Assert.All(audit, e => Assert.NotNull(e.ActorId));
        var conflict = await ProblemAsync(await admin.PutAsJsonAsync($"{Base}/{version}", new { document, description = "again" }),
            HttpStatusCode.Conflict, "policy-not-draft");
        Assert.Contains("active", conflict["detail"]!.GetValue<string>());
        await ProblemAsync(await admin.PostAsync($"{Base}/{version}/activate", null), HttpStatusCode.Conflict, "policy-not-draft");
    }

    [Fact]
    public async Task An_invalid_document_is_refused_with_the_path_of_each_error_and_nothing_is_stored()
    {
        var admin = await ClientAsync(Roles.Admin);
        var version = await CreateDraftAsync(admin, "to break");
        var before = await console.EverythingStoredAsync();
        var broken = JsonNode.Parse(
            """
            { "rules": [ { "id": "ok", "when": { "clean": {} }, "then": { "action": "publish" } },
                         { "id": "bad", "when": { "all": [ { "signal": { "source": "nsfw", "category": "porn", "min": "lots" } } ] },
                           "then": { "action": "hold", "priority": 500 } } ],
              "default": { "action": "hold" } }
            """);

        var refused = await ProblemAsync(await admin.PutAsJsonAsync($"{Base}/{version}", new { document = broken, description = "broken" }),
            HttpStatusCode.BadRequest, "invalid-policy");

        var errors = refused["errors"]!.AsArray().Select(e => (e!["path"]!.GetValue<string>(), e["message"]!.GetValue<string>().Length > 0)).ToList();
        Assert.Equal([("rules[1].when.all[0].signal.min", true), ("rules[1].then.priority", true)], errors);
        Assert.Equal(before, await console.EverythingStoredAsync());
    }

    [Fact]
    public async Task Malformed_bodies_and_unknown_versions_get_problems()
    {
        var admin = await ClientAsync(Roles.Admin);
        var version = await CreateDraftAsync(admin, "target");
        var before = await console.EverythingStoredAsync();

        await ProblemAsync(await admin.PutAsync($"{Base}/{version}", new StringContent("{ \"document\": { \"rules\": [", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "malformed-request");
        await ProblemAsync(await admin.PutAsJsonAsync($"{Base}/{version}", new { description = "no document" }), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAsync(await admin.PutAsJsonAsync($"{Base}/{version}", new { document = "rules", description = "a string" }),
            HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAsync(await admin.GetAsync($"{Base}/4242"), HttpStatusCode.NotFound, "not-found");
        await ProblemAsync(await admin.PutAsJsonAsync($"{Base}/4242", new { document = new { rules = Array.Empty<object>(), @default = new { action = "hold" } } }),
            HttpStatusCode.NotFound, "not-found");
        await ProblemAsync(await admin.PostAsync($"{Base}/4242/activate", null), HttpStatusCode.NotFound, "not-found");
        await ProblemAsync(await admin.PostAsJsonAsync(Base, new { basedOn = 4242 }), HttpStatusCode.NotFound, "not-found");
        await ProblemAsync(await admin.PostAsync($"{Base}/{version}/backtest?last=0", null), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAsync(await admin.GetAsync($"{Base}/4242/shadow"), HttpStatusCode.NotFound, "not-found");
        Assert.Equal(before, await console.EverythingStoredAsync());
    }
}
