using AiSocial.AdminConsole.Components.Pages.Models;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.TextClassifier;
using AiSocial.SafetyModels;
using AiSocial.Testing;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The models page rendered with bUnit against the real model registry, database and prepared models.</summary>
public sealed class ModelsPageTests(PlatformFixture platform) : IClassFixture<PlatformFixture>, IAsyncDisposable
{
    private readonly BunitContext _context = new();

    public ValueTask DisposeAsync() => _context.DisposeAsync();

    private async Task<(IRenderedComponent<ModelsPage> Page, Ingest.Accounts.Account Engineer)> RenderAsEngineerAsync(string modelsDirectory)
    {
        var engineer = await platform.CreateAccountAsync(Roles.MlEngineer);
        _context.Services.AddSingleton(platform.Get<TextModelRegistry>());
        _context.Services.AddSingleton(Options.Create(new ModelOptions { Directory = modelsDirectory }));
        _context.SignIn(engineer, Roles.MlEngineer);
        return (_context.Render<ModelsPage>(), engineer);
    }

    // A stored version as training leaves it; promotion never loads the ONNX bytes, so any bytes do.
    private Task<long> ShadowVersionAsync() => platform.ScalarAsync<long>(
        """
        insert into moderation.text_models (status, trained_by, pipeline, training_ms, row_count, positives, training_rows,
            held_out_rows, held_out_positives, max_label_id, max_label_at, labels_sha256, held_out_precision, held_out_recall,
            held_out_auc, onnx_max_difference, onnx, onnx_sha256)
        values ('shadow', 'test', 'test', 1, 100, 50, 80, 20, 10, 1, now(), repeat('a', 64), 0.9, 0.8, 0.95, 0, '\x00', repeat('b', 64))
        returning id
        """);

    [Fact]
    public async Task An_engineer_promotes_a_shadow_version_and_the_promotion_is_audited_under_their_name()
    {
        await platform.ExecuteAsync("delete from moderation.text_models");
        var version = await ShadowVersionAsync();
        var (page, engineer) = await RenderAsEngineerAsync(TestModels.Directory);

        page.WaitForAssertion(() => Assert.Equal($"v{version}", page.Find("[data-testid=version]").TextContent));
        Assert.Equal("shadow", page.Find("[data-testid=status]").TextContent.Trim());
        Assert.Contains(ModelNames.Nsfw, page.Find("[data-testid=manifest]").TextContent);
        page.Find("[data-testid=promote]").Click();

        page.WaitForAssertion(() => Assert.Equal("active", page.Find("[data-testid=status]").TextContent.Trim()));
        Assert.Equal("active", await platform.ScalarAsync<string>("select status from moderation.text_models where id = $1", version));
        Assert.Contains(await platform.Get<AuditLog>().ForSubjectAsync("text_model", version.ToString(), default),
            e => e.Action == "textclf.promote" && e.ActorId == engineer.Id);
        Assert.Empty(page.FindAll("[data-testid=promote]"));
    }

    [Fact]
    public async Task Training_without_enough_labels_says_why_and_stores_nothing_and_missing_models_are_named()
    {
        await platform.ExecuteAsync("delete from moderation.text_models");
        var (page, _) = await RenderAsEngineerAsync(Path.Combine(platform.MediaRoot, "no-models"));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=no-versions]")));
        Assert.Contains("./aisocial models", page.Find("[data-testid=manifest-error]").TextContent);
        page.Find("[data-testid=train]").Click();

        page.WaitForAssertion(() => Assert.Contains("human label", _context.Services.GetRequiredService<ISnackbar>().ShownSnackbars.Single().Message,
            StringComparison.OrdinalIgnoreCase));
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.text_models"));
    }
}
