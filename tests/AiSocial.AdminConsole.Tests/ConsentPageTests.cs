using AiSocial.AdminConsole.Components.Pages.Consent;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Testing;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The consent page rendered with bUnit against the real ledger and terms tables.</summary>
public sealed class ConsentPageTests(PlatformFixture platform) : IClassFixture<PlatformFixture>, IAsyncDisposable
{
    private readonly BunitContext _context = new();

    public ValueTask DisposeAsync() => _context.DisposeAsync();

    private async Task<(IRenderedComponent<ConsentPage> Page, Ingest.Accounts.Account Staff)> RenderAsync(string role)
    {
        var staff = await platform.CreateAccountAsync(role);
        _context.Services.AddSingleton(platform.Get<TermsCatalog>());
        _context.Services.AddSingleton(platform.Get<ConsentLedger>());
        _context.Services.AddSingleton(platform.Get<AccountRegistry>());
        _context.Services.AddSingleton(platform.Get<NpgsqlDataSource>());
        _context.Services.AddSingleton(TimeProvider.System);
        _context.SignIn(staff, role);
        return (_context.Render<ConsentPage>(), staff);
    }

    private static async Task FillAsync(IRenderedComponent<ConsentPage> page, string field, string value) =>
        await page.InvokeAsync(() => page.Find($"[data-testid={field}] input, [data-testid={field}] textarea, input[data-testid={field}], textarea[data-testid={field}]").Input(value));

    [Fact]
    public async Task A_moderator_sees_an_accounts_events_with_their_hashes_and_the_chain_check()
    {
        var person = await platform.CreateAccountAsync();
        var ledger = platform.Get<ConsentLedger>();
        var grant = (await ledger.RecordAsync(new Actor(person.Id, person.Handle), person.Id,
            new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Api("203.0.113.5"), default)).Value;
        var withdrawal = (await ledger.RecordAsync(new Actor(person.Id, person.Handle), person.Id,
            new ConsentChange(ConsentPurposes.AiTraining, false, "2026-11"), ConsentSource.Api("203.0.113.5"), default)).Value;
        var (page, _) = await RenderAsync(Roles.Moderator);

        await FillAsync(page, "handle", person.Handle);
        await page.InvokeAsync(() => page.Find("[data-testid=ledger-form]").Submit());

        page.WaitForAssertion(() => Assert.Contains("Chain OK", page.Find("[data-testid=chain-check]").TextContent));
        var rows = page.FindAll("[data-testid=ledger-event]");
        Assert.Equal(2, rows.Count);
        Assert.Contains(withdrawal.Hash[..16], rows[0].InnerHtml);
        Assert.Contains(grant.Hash[..16], rows[1].InnerHtml);
        Assert.Contains("withdrawn", rows[0].TextContent);
        Assert.Empty(page.FindAll("[data-testid=publish-form]")); // publishing terms is for admins
    }

    [Fact]
    public async Task An_unknown_handle_is_shown_at_its_field()
    {
        var (page, _) = await RenderAsync(Roles.Moderator);

        await FillAsync(page, "handle", "nobody_here_at_all");
        await page.InvokeAsync(() => page.Find("[data-testid=ledger-form]").Submit());

        page.WaitForAssertion(() => Assert.Contains("There is no account", page.Find(".mud-input-error").TextContent));
    }

    [Fact]
    public async Task An_admin_publishes_a_terms_version_audited_and_a_past_date_is_refused_at_its_field()
    {
        var (page, admin) = await RenderAsync(Roles.Admin);
        await page.InvokeAsync(() => page.FindAll(".mud-tab").Single(tab => tab.TextContent.Contains("Terms versions", StringComparison.Ordinal)).Click());
        page.WaitForAssertion(() => Assert.Contains("2026-11", page.Find("[data-testid=terms]").TextContent));
        var version = $"t{Guid.NewGuid():N}"[..12];

        await FillAsync(page, "terms-version-input", version);
        await FillAsync(page, "terms-effective", "2020-01-01 00:00");
        await FillAsync(page, "terms-text", "Terms that would apply in the past.");
        await page.InvokeAsync(() => page.Find("[data-testid=publish-form]").Submit());
        page.WaitForAssertion(() => Assert.Contains("never in the past", page.Find(".mud-input-error").TextContent));
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from ingest.terms_versions where version = $1", version));

        await FillAsync(page, "terms-effective", $"{DateTime.UtcNow.AddYears(5):yyyy-MM-dd} 00:00");
        await page.InvokeAsync(() => page.Find("[data-testid=publish-form]").Submit());

        page.WaitForAssertion(() => Assert.Contains(version, page.Find("[data-testid=terms]").TextContent));
        var entry = Assert.Single(await platform.Get<AuditLog>().ForSubjectAsync("terms", version, default));
        Assert.Equal(("terms.publish", admin.Id), (entry.Action, entry.ActorId));
    }
}
