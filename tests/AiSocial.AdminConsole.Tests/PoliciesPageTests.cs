using System.Text.Json.Nodes;
using AiSocial.AdminConsole.Components.Pages.Policies;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Calibration;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Policy;
using AiSocial.Testing;
using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The Policies page rendered with bUnit against the real policy store; each test makes the drafts it works on.</summary>
public sealed class PoliciesPageTests(PlatformFixture platform) : IClassFixture<PlatformFixture>, IAsyncDisposable
{
    private readonly BunitContext _context = new();
    private IRenderedComponent<MudDialogProvider>? _dialogs;

    public ValueTask DisposeAsync() => _context.DisposeAsync();

    private async Task<(IRenderedComponent<PoliciesPage> Page, Ingest.Accounts.Account Staff)> RenderAsync(string role)
    {
        var staff = await platform.CreateAccountAsync(role);
        _context.Services.AddSingleton(platform.Get<PolicyStore>());
        _context.Services.AddSingleton(platform.Get<CalibrationReports>());
        _context.SignIn(staff, role);
        _dialogs = _context.Render<MudDialogProvider>();
        var page = _context.Render<PoliciesPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=version-row]")));
        return (page, staff);
    }

    private static async Task<int> NewDraftAsync(IRenderedComponent<PoliciesPage> page, PlatformFixture platform)
    {
        var before = await platform.ScalarAsync<int>("select max(version) from moderation.policy_versions");
        await page.InvokeAsync(() => page.Find("[data-testid=new-draft]").Click());
        // The click starts the handler without waiting for it: wait for the draft it creates.
        var deadline = DateTime.UtcNow + ConsolePageContext.RenderWait;
        int version;
        while ((version = await platform.ScalarAsync<int>("select max(version) from moderation.policy_versions")) == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        page.Render(parameters => parameters.Add(p => p.Version, version)); // as the navigation to /policies/{version} does
        page.WaitForAssertion(() => Assert.Equal($"v{version} · draft", page.Find("[data-testid=selected-version]").TextContent));
        return version;
    }

    private static Task EditAsync(IRenderedComponent<PoliciesPage> page, string json) =>
        page.InvokeAsync(() => page.Find("textarea[data-testid=document]").Input(json));

    [Fact]
    public async Task An_invalid_draft_is_refused_with_each_error_shown_at_its_rule_and_nothing_stored()
    {
        var (page, _) = await RenderAsync(Roles.Admin);
        var version = await NewDraftAsync(page, platform);
        page.WaitForAssertion(() => page.Find("[data-testid=diff-none]"));
        var stored = await platform.ScalarAsync<string>("select document::text from moderation.policy_versions where version = $1", version);
        var document = JsonNode.Parse(page.Find("textarea[data-testid=document]").TextContent)!.AsObject();
        var second = document["rules"]![1]!;
        second["then"]!["action"] = "explode";

        await EditAsync(page, document.ToJsonString());
        await page.InvokeAsync(() => page.Find("[data-testid=save]").Click());

        var ruleId = second["id"]!.GetValue<string>();
        page.WaitForAssertion(() => Assert.Contains("rules[1]", page.Find($"[data-rule='{ruleId}'] [data-testid=rule-error]").TextContent));
        Assert.Single(page.FindAll("[data-testid=rule-error]"));
        Assert.Equal(stored, await platform.ScalarAsync<string>("select document::text from moderation.policy_versions where version = $1", version));
    }

    [Fact]
    public async Task A_calibrated_threshold_goes_into_the_draft_and_is_stored_by_saving_with_ctrl_enter()
    {
        var author = await platform.CreateAccountAsync();
        var reviewer = await platform.CreateAccountAsync(Roles.Moderator);
        foreach (var (decision, score) in new[] { ("remove", 0.9f), ("remove", 0.8f), ("approve", 0.6f) })
        {
            var post = await platform.SubmitPostAsync(author.Id, prompt: $"calibrated {Guid.NewGuid():N}");
            await using (var connection = await platform.DataSource.OpenConnectionAsync())
            {
                await SignalStore.SaveAsync(connection, post.Id, [new Signal("nsfw", "test-1", "hentai", score)], default);
            }

            await platform.ExecuteAsync(
                "insert into moderation.labels (post_id, source, reviewer_id, decision, policy_version) values ($1, 'human', $2, $3, 'test')",
                post.Id, reviewer.Id, decision);
        }

        var (page, _) = await RenderAsync(Roles.Admin);
        var version = await NewDraftAsync(page, platform);

        await page.InvokeAsync(() => page.Find("[data-key='nsfw/hentai'] [data-testid=use-threshold]").Click());
        page.WaitForAssertion(() => Assert.Equal(0.65,
            JsonNode.Parse(page.Find("textarea[data-testid=document]").TextContent)!["thresholds"]!["nsfw/hentai"]!.GetValue<double>()));
        await page.Find("textarea[data-testid=document]").KeyDownAsync(new KeyboardEventArgs { Key = "Enter", CtrlKey = true });

        // The save runs on the renderer's thread; poll the store from here rather than block that thread.
        var deadline = DateTime.UtcNow + ConsolePageContext.RenderWait;
        double? saved;
        while ((saved = (await platform.Get<PolicyStore>().GetAsync(version))!.Document.Thresholds.GetValueOrDefault("nsfw/hentai")) != 0.65
               && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(0.65, saved);
        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=diff-threshold]"), row => row.TextContent.Contains("nsfw/hentai", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Activation_asks_for_confirmation_then_activates_the_draft_retires_the_active_version_and_is_audited()
    {
        var (page, admin) = await RenderAsync(Roles.Admin);
        var version = await NewDraftAsync(page, platform);
        await page.InvokeAsync(() => page.Find("[data-testid=backtest]").Click());
        page.WaitForAssertion(() => Assert.Contains("would be decided differently", page.Find("[data-testid=backtest-summary]").TextContent));

        await page.InvokeAsync(() => page.Find("[data-testid=activate]").Click());
        var dialog = _dialogs!;
        dialog.WaitForAssertion(() => Assert.Contains($"Activate v{version}?", dialog.Markup));
        Assert.Equal("draft", await platform.ScalarAsync<string>("select state from moderation.policy_versions where version = $1", version));
        await dialog.InvokeAsync(() => dialog.FindAll("button").Single(b => b.TextContent.Trim() == "Activate").Click());

        page.WaitForAssertion(() => Assert.Equal($"v{version} · active", page.Find("[data-testid=selected-version]").TextContent));
        Assert.Equal(1L, await platform.ScalarAsync<long>("select count(*) from moderation.policy_versions where state = 'active'"));
        Assert.Contains(await platform.Get<AuditLog>().ForSubjectAsync("policy", version.ToString(System.Globalization.CultureInfo.InvariantCulture), default),
            e => e.Action == "policy.activate" && e.ActorId == admin.Id);
    }

    [Fact]
    public async Task A_moderator_reads_versions_but_gets_no_editing_actions()
    {
        var (page, _) = await RenderAsync(Roles.Moderator);

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=selected-version]")));
        Assert.Empty(page.FindAll("[data-testid=new-draft]"));
        Assert.Empty(page.FindAll("[data-testid=save]"));
        Assert.Empty(page.FindAll("[data-testid=activate]"));
        Assert.True(page.Find("textarea[data-testid=document]").HasAttribute("readonly"));
    }
}
