using AiSocial.AdminConsole.Components.Pages.Creators;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Creators;
using AiSocial.Testing;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The Creators page rendered with bUnit against the real opt-out tables; one database per class, so each test clears what it reads.</summary>
public sealed class CreatorsPageTests(PlatformFixture platform) : IClassFixture<PlatformFixture>, IAsyncDisposable
{
    private readonly BunitContext _context = new();

    public ValueTask DisposeAsync() => _context.DisposeAsync();

    private CreatorOptOuts OptOuts => platform.Get<CreatorOptOuts>();

    private async Task ClearAsync() =>
        await platform.ExecuteAsync("delete from ingest.creator_optout_matches; delete from ingest.creator_optouts");

    private async Task<(Ingest.Accounts.Account Creator, CreatorOptOut OptOut)> ClaimAsync(string value, string kind = OptOutKinds.Name)
    {
        var creator = await platform.CreateAccountAsync();
        return (creator, (await OptOuts.RegisterAsync(new Actor(creator.Id, creator.Handle), creator.Id, new OptOutDraft(kind, value, "strip"), default)).Value);
    }

    private (IRenderedComponent<CreatorsPage> Page, Ingest.Accounts.Account Moderator) Render(Ingest.Accounts.Account moderator)
    {
        _context.Services.AddSingleton(OptOuts);
        _context.SignIn(moderator, Roles.Moderator);
        return (_context.Render<CreatorsPage>(), moderator);
    }

    [Fact]
    public async Task With_no_claims_the_page_says_so()
    {
        await ClearAsync();
        var (page, _) = Render(await platform.CreateAccountAsync(Roles.Moderator));

        page.WaitForAssertion(() => Assert.Contains("No opt-outs", page.Find("[data-testid=optouts-empty]").TextContent));
    }

    [Fact]
    public async Task A_moderator_verifies_a_pending_claim_recorded_with_who_and_when_and_audited_under_their_name()
    {
        await ClearAsync();
        var (creator, claim) = await ClaimAsync("Ségolène Dupont");
        var (page, moderator) = Render(await platform.CreateAccountAsync(Roles.Moderator));
        page.WaitForAssertion(() => Assert.Equal("Ségolène Dupont", page.Find("[data-testid=optout-value]").TextContent));
        Assert.Equal(creator.Handle, page.Find("[data-testid=optout-account]").TextContent);
        Assert.Equal("pending", page.Find("[data-testid=optout-status]").TextContent.Trim());

        await page.InvokeAsync(() => page.Find("[data-testid=verify]").Click());

        // Verified claims leave the list of claims to verify; they are under "Verified" with who verified them.
        page.WaitForAssertion(() => page.Find("[data-testid=optouts-empty]"));
        Assert.Equal(("verified", moderator.Id), (await platform.ScalarAsync<string>("select status from ingest.creator_optouts where id = $1", claim.Id),
            await platform.ScalarAsync<Guid>("select reviewed_by from ingest.creator_optouts where id = $1 and reviewed_at is not null", claim.Id)));
        await page.InvokeAsync(() => page.Find("[data-testid=status-verified]").Click());
        page.WaitForAssertion(() => Assert.Contains($"by {moderator.Handle}", page.Find("[data-testid=optout-reviewed]").TextContent));
        var audit = await platform.Get<AuditLog>().ForSubjectAsync(CreatorOptOuts.SubjectType, claim.Id.ToString(), default);
        var verified = Assert.Single(audit, e => e.Action == "creator-optout.verify");
        Assert.Equal(moderator.Id, verified.ActorId);
        Assert.Contains(_context.Services.GetRequiredService<ISnackbar>().ShownSnackbars,
            snackbar => snackbar.Message?.Contains("Verified “Ségolène Dupont”", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Each_opt_out_shows_its_matches_so_far_and_a_verified_one_can_be_rejected()
    {
        await ClearAsync();
        var (_, claim) = await ClaimAsync("Greg Rutkowski");
        var admin = await platform.CreateAccountAsync(Roles.Admin);
        _ = (await OptOuts.ReviewAsync(new Actor(admin.Id, admin.Handle), claim.Id, verified: true, default)).Value;
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, prompt: "a castle by greg rutkowski");
        await OptOuts.RecordMatchesAsync([new FoundOptOut(claim, "prompt")], "scan", post.Id, null, default);
        await OptOuts.RecordMatchesAsync([new FoundOptOut(claim, "negativePrompt")], "prompt", null, null, default);
        var (page, moderator) = Render(await platform.CreateAccountAsync(Roles.Moderator));
        await page.InvokeAsync(() => page.Find("[data-testid=status-all]").Click());

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=optout-match]").Count));
        Assert.StartsWith("2", page.Find("[data-testid=optout-matches]").TextContent.Trim());
        Assert.Contains(page.FindAll("[data-testid=optout-match]"), m => m.TextContent.Contains($"scan · prompt · post {post.Id}", StringComparison.Ordinal));

        await page.InvokeAsync(() => page.Find("[data-testid=reject]").Click());

        page.WaitForAssertion(() => Assert.Equal("rejected", page.Find("[data-testid=optout-status]").TextContent.Trim()));
        Assert.Equal(moderator.Id, await platform.ScalarAsync<Guid>("select reviewed_by from ingest.creator_optouts where id = $1", claim.Id));
        Assert.Empty(await OptOuts.EnforcedAsync(default));
    }

    [Fact]
    public async Task Staff_cannot_verify_their_own_claim()
    {
        await ClearAsync();
        var moderator = await platform.CreateAccountAsync(Roles.Moderator);
        var own = (await OptOuts.RegisterAsync(new Actor(moderator.Id, moderator.Handle), moderator.Id, new OptOutDraft("name", "Mod Erator", null), default))
            .Value;
        var (page, _) = Render(moderator);
        page.WaitForAssertion(() => page.Find("[data-testid=verify]"));

        await page.InvokeAsync(() => page.Find("[data-testid=verify]").Click());

        page.WaitForAssertion(() => Assert.Contains(_context.Services.GetRequiredService<ISnackbar>().ShownSnackbars,
            snackbar => snackbar.Message?.Contains("cannot review your own", StringComparison.Ordinal) == true));
        Assert.Equal("pending", await platform.ScalarAsync<string>("select status from ingest.creator_optouts where id = $1", own.Id));
    }
}
