using AiSocial.AdminConsole.Components.Pages.Blocklists;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Prompts;
using AiSocial.Moderation.Protections;
using AiSocial.Testing;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The blocklists page rendered with bUnit against the real blocklist tables; one database per class, so each test clears what it reads.</summary>
public sealed class BlocklistsPageTests(PlatformFixture platform) : IClassFixture<PlatformFixture>, IAsyncDisposable
{
    private readonly BunitContext _context = new();

    public ValueTask DisposeAsync() => _context.DisposeAsync();

    private async Task<(IRenderedComponent<BlocklistsPage> Page, Ingest.Accounts.Account Moderator)> RenderAsync()
    {
        var moderator = await platform.CreateAccountAsync(Roles.Moderator);
        _context.Services.AddSingleton(platform.Get<PromptBlocklist>());
        _context.Services.AddSingleton(platform.Get<MinorSafetyTerms>());
        _context.SignIn(moderator, Roles.Moderator);
        return (_context.Render<BlocklistsPage>(), moderator);
    }

    private static async Task SubmitAsync(IRenderedComponent<BlocklistsPage> page, string form, params (string Field, string Value)[] fields)
    {
        foreach (var (field, value) in fields)
        {
            await page.InvokeAsync(() => page.Find($"input[data-testid={field}]").Input(value));
        }

        await page.InvokeAsync(() => page.Find($"[data-testid={form}]").Submit());
    }

    [Fact]
    public async Task An_empty_blocklist_says_so()
    {
        await platform.ExecuteAsync("delete from moderation.prompt_blocklist");
        var (page, _) = await RenderAsync();

        page.WaitForAssertion(() => Assert.Contains("No blocked terms", page.Find("[data-testid=blocklist-empty]").TextContent));
    }

    [Fact]
    public async Task A_moderator_blocks_a_term_under_a_rule_and_unblocks_it_both_audited_under_their_name()
    {
        await platform.ExecuteAsync("delete from moderation.prompt_blocklist");
        var (page, moderator) = await RenderAsync();
        page.WaitForAssertion(() => page.Find("[data-testid=blocklist-empty]"));

        await SubmitAsync(page, "blocklist-form", ("term", "Blood Bath"), ("rule", "violence"));

        page.WaitForAssertion(() => Assert.Contains("Blood Bath", page.Find("[data-testid=blocklist] .ais-term").TextContent));
        Assert.Equal("violence", await platform.ScalarAsync<string>("select rule from moderation.prompt_blocklist where normalized = 'blood bath'"));
        var id = await platform.ScalarAsync<long>("select id from moderation.prompt_blocklist where normalized = 'blood bath'");
        page.Find("[data-testid=remove-term]").Click();

        page.WaitForAssertion(() => page.Find("[data-testid=blocklist-empty]"));
        var audit = await platform.Get<AuditLog>().ForSubjectAsync("prompt_blocklist", id.ToString(System.Globalization.CultureInfo.InvariantCulture), default);
        Assert.Equal(["blocklist.add", "blocklist.remove"], audit.Select(e => e.Action).Order());
        Assert.All(audit, e => Assert.Equal(moderator.Id, e.ActorId));
    }

    [Fact]
    public async Task An_invalid_rule_is_shown_at_its_field_and_nothing_is_stored()
    {
        await platform.ExecuteAsync("delete from moderation.prompt_blocklist");
        var (page, _) = await RenderAsync();
        page.WaitForAssertion(() => page.Find("[data-testid=blocklist-empty]"));

        await SubmitAsync(page, "blocklist-form", ("term", "gore"), ("rule", "Not A Rule!"));

        page.WaitForAssertion(() => Assert.Contains(PromptBlocklist.RuleRule, page.Find(".mud-input-error").TextContent));
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.prompt_blocklist"));
    }

    [Fact]
    public async Task A_long_blocklist_is_paged_in_the_database()
    {
        await platform.ExecuteAsync("delete from moderation.prompt_blocklist");
        await platform.ExecuteAsync(
            "insert into moderation.prompt_blocklist (term, normalized, rule, added_by) select 't' || i, 't' || i, 'test', 'test' from generate_series(100, 129) i");
        var (page, _) = await RenderAsync();

        page.WaitForAssertion(() => Assert.Equal(25, page.FindAll("[data-testid=blocklist] .ais-term").Count));
        Assert.Contains("of 30", page.Find("[data-testid=blocklist] .mud-table-pagination").TextContent);
    }

    [Fact]
    public async Task The_minor_safety_tab_lists_the_seeded_terms_and_adds_one_with_its_language()
    {
        var (page, moderator) = await RenderAsync();
        await page.InvokeAsync(() => page.FindAll(".mud-tab").Single(tab => tab.TextContent.Contains("Minor-safety", StringComparison.Ordinal)).Click());
        page.WaitForAssertion(() => Assert.Contains("of ", page.Find("[data-testid=minor-terms] .mud-table-pagination").TextContent));

        await SubmitAsync(page, "minor-form", ("minor-term", "Piccolina"), ("minor-language", "it"));

        page.WaitForAssertion(() => Assert.Contains(_context.Services.GetRequiredService<ISnackbar>().ShownSnackbars,
            snackbar => snackbar.Message?.Contains("Added “Piccolina”", StringComparison.Ordinal) == true));
        Assert.Equal("it", await platform.ScalarAsync<string>("select language from moderation.minor_safety_terms where normalized = 'piccolina'"));
        Assert.Equal(moderator.Handle, await platform.ScalarAsync<string>(
            "select actor from ingest.audit_log where action = 'minor-safety-terms.add' order by id desc limit 1"));
    }
}
