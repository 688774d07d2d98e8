using System.Text.Json.Nodes;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Policy;
using AiSocial.Testing;

namespace AiSocial.Moderation.Tests.Policy;

public sealed class PolicyStoreTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private static readonly Actor Admin = Actor.System("policy-admin");

    private PolicyStore Store => platform.Get<PolicyStore>();

    private async Task<PolicyVersion> DraftAsync(string description = "a draft") => (await Store.CreateDraftAsync(Admin, null, description)).Value;

    [Fact]
    public async Task The_shipped_default_is_version_one_active_valid_and_decides_by_its_rules()
    {
        var shipped = (await Store.GetAsync(1))!;

        // Active as shipped (another test in this class may have activated a copy since, retiring it).
        Assert.Equal(("v1", "system:migration", "system:migration"), (shipped.Label, shipped.CreatedBy, shipped.ActivatedBy));
        Assert.NotEqual(PolicyState.Draft, shipped.State);
        Assert.Equal(["bank-match", "severe-content-safety", "explicit-porn", "creator-rights", "reported", "clean", "suggestive", "likely-violating"],
            shipped.Document.Rules.Select(r => r.Id));
        Assert.Equal(new PolicyOutcome(PolicyAction.Hold, "general", 50), shipped.Document.Default);
        Assert.Empty(PolicyDocument.TryParse(shipped.Document.ToJson(), out var errors) is null ? errors : []);
    }

    [Fact]
    public async Task A_draft_copies_the_active_version_is_edited_in_place_and_every_change_is_audited()
    {
        var draft = await DraftAsync();
        var active = (await Store.LiveAsync()).Active;
        var edited = active.Document with { Thresholds = new Dictionary<string, double>(active.Document.Thresholds) { ["nsfw/sexy"] = 0.55 } };

        var saved = (await Store.SaveDraftAsync(Admin, draft.Version, edited.ToJson(), "sexy at 0.55")).Value;

        Assert.Equal((PolicyState.Draft, active.Version, "sexy at 0.55"), (saved.State, saved.BasedOn, saved.Description));
        Assert.Equal(0.55, (await Store.GetAsync(draft.Version))!.Document.Thresholds["nsfw/sexy"]);
        var diff = (await Store.DiffAsync(draft.Version, active.Version)).Value;
        Assert.Empty(diff.Rules);
        Assert.False(diff.DefaultChanged);
        Assert.Equal(new ThresholdChange("nsfw/sexy", active.Document.Thresholds["nsfw/sexy"], 0.55), Assert.Single(diff.Thresholds));
        var audit = await platform.Get<AuditLog>().ForSubjectAsync("policy", draft.Version.ToString(), default);
        Assert.Equal(["policy.draft", "policy.save"], audit.Select(e => e.Action));
        Assert.All(audit, e => Assert.Equal(Admin.Name, e.Actor));
    }

    [Fact]
    public async Task An_invalid_document_is_refused_with_each_error_at_its_path_and_nothing_changes()
    {
        var draft = await DraftAsync();
        var before = await platform.EverythingStoredAsync();

        var refused = await Store.SaveDraftAsync(Admin, draft.Version,
            """{ "rules": [ { "id": "a", "when": { "all": [ { "signal": { "source": "nsfw", "category": "porn", "min": 7 } } ] }, "then": { "action": "publish" } } ], "default": { "action": "nope" } }""",
            "broken");

        Assert.Equal(("invalid-policy", 400), (refused.Refusal!.Problem.Code, refused.Refusal.Problem.Status));
        var errors = Assert.IsAssignableFrom<System.Collections.IEnumerable>(refused.Refusal.Extensions!["errors"]).Cast<object>()
            .Select(e => JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(e))!["path"]!.GetValue<string>()).ToList();
        Assert.Equal(["rules[0].when.all[0].signal.min", "default.action"], errors);
        Assert.Equal(before, await platform.EverythingStoredAsync());
        Assert.Equal(draft.UpdatedAt, (await Store.GetAsync(draft.Version))!.UpdatedAt);
    }

    [Fact]
    public async Task Activating_retires_the_active_version_in_one_audited_step_and_active_or_retired_versions_never_change()
    {
        var previous = (await Store.LiveAsync()).Active;
        var draft = await DraftAsync("same rules, new version");

        var activated = (await Store.ActivateAsync(Admin, draft.Version)).Value;

        Assert.Equal((PolicyState.Active, Admin.Name), (activated.State, activated.ActivatedBy));
        Assert.Equal(PolicyState.Retired, (await Store.GetAsync(previous.Version))!.State);
        Assert.Equal(draft.Version, (await Store.LiveAsync()).Active.Version);
        var entry = Assert.Single(await platform.Get<AuditLog>().ForSubjectAsync("policy", draft.Version.ToString(), default), e => e.Action == "policy.activate");
        Assert.Equal(previous.Version, entry.Detail.GetProperty("retired").GetInt32());
        Assert.Equal("policy-not-draft", (await Store.ActivateAsync(Admin, draft.Version)).Refusal!.Problem.Code);
        Assert.Equal("policy-not-draft", (await Store.SaveDraftAsync(Admin, previous.Version, previous.Document.ToJson(), "")).Refusal!.Problem.Code);
        Assert.Equal("policy-not-draft", (await Store.StartShadowAsync(Admin, draft.Version)).Refusal!.Problem.Code);
        Assert.Equal(409, (await Store.ActivateAsync(Admin, previous.Version)).Refusal!.Problem.Status);
    }

    [Fact]
    public async Task Unknown_versions_are_not_found()
    {
        Assert.Null(await Store.GetAsync(9999));
        Assert.Equal(404, (await Store.SaveDraftAsync(Admin, 9999, """{ "rules": [], "default": { "action": "hold" } }""", "")).Refusal!.Problem.Status);
        Assert.Equal(404, (await Store.ActivateAsync(Admin, 9999)).Refusal!.Problem.Status);
        Assert.Equal(404, (await Store.CreateDraftAsync(Admin, 9999, "")).Refusal!.Problem.Status);
        Assert.Equal(404, (await Store.DiffAsync(1, 9999)).Refusal!.Problem.Status);
        Assert.Equal(404, (await Store.BacktestAsync(9999, 10)).Refusal!.Problem.Status);
        Assert.Equal(400, (await Store.BacktestAsync(1, 0)).Refusal!.Problem.Status);
    }

    [Fact]
    public async Task Only_one_draft_runs_in_shadow_starting_another_stops_the_first()
    {
        var first = await DraftAsync();
        var second = await DraftAsync();

        _ = (await Store.StartShadowAsync(Admin, first.Version)).Value;
        var started = (await Store.StartShadowAsync(Admin, second.Version)).Value;

        Assert.True(started.Shadow);
        Assert.NotNull(started.ShadowStartedAt);
        Assert.False((await Store.GetAsync(first.Version))!.Shadow);
        Assert.Equal(second.Version, (await Store.LiveAsync()).Shadow!.Version);
        _ = (await Store.StopShadowAsync(Admin, second.Version)).Value;
        Assert.Null((await Store.LiveAsync()).Shadow);
    }

    [Fact]
    public void A_diff_names_rules_added_removed_changed_and_moved()
    {
        var before = PolicyDocument.Parse(
            """
            { "rules": [
                { "id": "a", "when": { "clean": {} }, "then": { "action": "publish" } },
                { "id": "b", "when": { "fact": { "name": "reportCount", "min": 1 } }, "then": { "action": "hold" } },
                { "id": "c", "when": { "fact": { "name": "priorRemovals", "min": 3 } }, "then": { "action": "reject" } } ],
              "default": { "action": "hold" } }
            """);
        var after = PolicyDocument.Parse(
            """
            { "rules": [
                { "id": "b", "when": { "fact": { "name": "reportCount", "min": 1 } }, "then": { "action": "hold" } },
                { "id": "a", "when": { "clean": {} }, "then": { "action": "publish" } },
                { "id": "d", "when": { "fact": { "name": "authorIsMinor", "min": 1 } }, "then": { "action": "hold", "priority": 90 } } ],
              "default": { "action": "escalate" } }
            """);

        var diff = PolicyStore.Diff(before, after, 2, 1);

        Assert.Equal([("a", "moved"), ("b", "moved"), ("c", "removed"), ("d", "added")], diff.Rules.Select(r => (r.RuleId, r.Change)).Order());
        Assert.True(diff.DefaultChanged);
        Assert.Equal("escalate", diff.DefaultAfter!["action"]!.GetValue<string>());
    }
}
