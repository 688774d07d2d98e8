using System.Security.Claims;
using AiSocial.AdminConsole.Components.Layout;
using AiSocial.AdminConsole.Components.Pages.Datasets;
using AiSocial.AdminConsole.Datasets;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Testing;
using Bunit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The datasets page rendered with bUnit against the real export tables.</summary>
public sealed class DatasetsPageTests(PlatformFixture platform) : IClassFixture<PlatformFixture>, IAsyncDisposable
{
    private readonly BunitContext _context = new();

    public ValueTask DisposeAsync() => _context.DisposeAsync();

    private async Task<IRenderedComponent<DatasetsPage>> RenderAsync()
    {
        var engineer = await platform.CreateAccountAsync(Roles.MlEngineer);
        _context.Services.AddSingleton(platform.Get<ExportRuns>());
        _context.Services.AddSingleton(new ConsoleDatasets(platform.Get<DatasetSpecs>(), platform.Get<ExportRunner>()));
        _context.SignIn(engineer, Roles.MlEngineer);
        return _context.Render<DatasetsPage>();
    }

    private async Task<string> DatasetAsync()
    {
        var name = $"ds-{Guid.NewGuid():N}"[..16];
        await platform.Get<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec { Name = name, Description = "page test", Purpose = ConsentPurposes.AiTraining }, default);
        return name;
    }

    private static async Task OpenAsync(IRenderedComponent<DatasetsPage> page, string name)
    {
        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=dataset-name]"), cell => cell.TextContent == name));
        var row = page.FindAll("[data-testid=dataset-name]").Single(cell => cell.TextContent == name).ParentElement!;
        await page.InvokeAsync(() => row.QuerySelector("[data-testid=open]")!.Click());
    }

    [Theory]
    [InlineData(Roles.MlEngineer, true)]
    [InlineData(Roles.Admin, true)]
    [InlineData(Roles.Moderator, false)]
    [InlineData(Roles.User, false)]
    public async Task Only_ml_engineers_and_admins_may_open_the_page_and_see_it_in_the_menu(string role, bool allowed)
    {
        var services = new ServiceCollection().AddLogging().AddAuthorization(ConsolePolicies.Add).BuildServiceProvider();
        var authorization = services.GetRequiredService<IAuthorizationService>();
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "someone"), new Claim(ClaimTypes.Role, role)], "test"));
        var policy = Attribute.GetCustomAttributes(typeof(DatasetsPage), typeof(AuthorizeAttribute)).Cast<AuthorizeAttribute>().Single().Policy;
        var decision = await authorization.AuthorizeAsync(user, policy!);
        // The menu is rendered with the policies the real rules grant this role.
        var granted = new List<string>();
        foreach (var name in new[] { ConsolePolicies.Staff, ConsolePolicies.Review, ConsolePolicies.Models, ConsolePolicies.Datasets, ConsolePolicies.Admin })
        {
            if ((await authorization.AuthorizeAsync(user, name)).Succeeded)
            {
                granted.Add(name);
            }
        }

        _context.Services.AddMudServices();
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.AddAuthorization().SetAuthorized("someone").SetRoles(role).SetPolicies([.. granted]);
        var menu = _context.Render<NavMenu>();

        Assert.Equal(ConsolePolicies.Datasets, policy);
        Assert.Equal(allowed, decision.Succeeded);
        Assert.Equal(allowed, menu.FindAll("a[href='/datasets']").Count == 1);
    }

    [Fact]
    public async Task Without_datasets_the_page_says_how_to_make_one()
    {
        await platform.ExecuteAsync(
            "delete from export.published_rows; delete from export.runs; delete from export.dataset_specs; delete from export.datasets");

        var page = await RenderAsync();

        page.WaitForAssertion(() => Assert.Contains("No datasets yet", page.Find("[data-testid=no-datasets]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=loading]"));
    }

    [Fact]
    public async Task A_running_runs_progress_is_shown_and_it_can_be_cancelled()
    {
        var name = await DatasetAsync();
        var running = Guid.CreateVersion7();
        await platform.ExecuteAsync(
            """
            insert into export.runs (id, dataset_id, status, requested_by, output, phase, rows_seen, rows_written, rows_excluded, bytes_written, shard_nodes)
            select $1, id, 'running', 'someone', '/nowhere', 'writing', 1200, 1000, 200, 3145728, '{node-a,node-b}' from export.datasets where name = $2
            """, running, name);
        var page = await RenderAsync();

        await OpenAsync(page, name);

        page.WaitForAssertion(() => Assert.Equal("running", page.Find("[data-testid=run-status]").TextContent.Trim()));
        var progress = page.Find("[data-testid=run-progress]").TextContent;
        Assert.Contains("writing", progress);
        Assert.Contains("1200 seen · 1000 written · 200 excluded · 3.0 MiB", progress);
        Assert.Equal("Shards written by node-a, node-b", page.Find("[data-testid=shard-nodes]").TextContent.Trim());
        await page.InvokeAsync(() => page.Find("[data-testid=cancel]").Click());
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=cancel]")));
        Assert.True(await platform.ScalarAsync<bool>("select cancel_requested from export.runs where id = $1", running));
        await platform.ExecuteAsync("update export.runs set status = 'cancelled', finished_at = now() where id = $1", running);
    }

    [Fact]
    public async Task A_finished_runs_manifest_shows_its_files_with_download_links_and_exclusions()
    {
        var name = await DatasetAsync();
        var output = Path.Combine(Directory.CreateTempSubdirectory("aisocial-page-").FullName, "run");
        var run = (await platform.Get<ExportRunner>().RunAsync(name, Actor.System("test"), ExportRunKind.Full, output, null, default)).Value;
        var page = await RenderAsync();

        await OpenAsync(page, name);
        page.WaitForAssertion(() => Assert.Equal("succeeded", page.Find("[data-testid=run-status]").TextContent.Trim()));
        await page.InvokeAsync(() => page.Find("[data-testid=show-manifest]").Click());

        page.WaitForAssertion(() => Assert.Contains(run.RunId.ToString(), page.Find("[data-testid=manifest]").TextContent));
        var link = page.Find("[data-testid=download]");
        var firstShard = run.Manifest!.Files.Select(f => f.Path).Where(p => p.StartsWith("data/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).First();
        Assert.Equal($"/api/v1/datasets/{name}/runs/{run.RunId}/files/{firstShard}", link.GetAttribute("href"));
        Assert.Equal($"/api/v1/datasets/{name}/runs/{run.RunId}/files/manifest.json", page.Find("[data-testid=download-manifest]").GetAttribute("href"));
        Assert.Equal(run.Manifest!.Excluded.Count == 0, page.FindAll("[data-testid=no-exclusions]").Count == 1);
        Assert.Contains("No published row has been revoked", page.Find("[data-testid=no-revocations]").TextContent);
        Assert.Contains("No post was left out as a copy", page.Find("[data-testid=no-duplicates]").TextContent);
    }

    [Fact]
    public async Task A_runs_duplicate_clusters_are_shown_with_their_totals_and_the_first_fifty()
    {
        var name = await DatasetAsync();
        var output = Path.Combine(Directory.CreateTempSubdirectory("aisocial-page-").FullName, "run");
        var run = (await platform.Get<ExportRunner>().RunAsync(name, Actor.System("test"), ExportRunKind.Full, output, null, default)).Value;
        // 51 clusters: the first has two copies left out, the others one.
        await platform.ExecuteAsync(
            """
            insert into export.run_duplicates (run_id, post_id, kept_post_id)
            select $1, gen_random_uuid(), ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid from generate_series(1, 51) i
            union all select $1, gen_random_uuid(), '00000000-0000-0000-0000-000000000001'
            """, run.RunId);
        var page = await RenderAsync();

        await OpenAsync(page, name);
        page.WaitForAssertion(() => Assert.Equal("succeeded", page.Find("[data-testid=run-status]").TextContent.Trim()));
        await page.InvokeAsync(() => page.Find("[data-testid=show-manifest]").Click());

        page.WaitForAssertion(() => Assert.Contains("52 posts in 51 clusters", page.Find("[data-testid=manifest-viewer]").TextContent));
        var rows = page.FindAll("[data-testid=duplicates] tbody tr");
        Assert.Equal(50, rows.Count);
        Assert.Equal(2, rows[0].QuerySelectorAll("td:last-child div").Length);
        Assert.Contains($"/api/v1/datasets/{name}/runs/{run.RunId}/duplicates", page.Find("[data-testid=manifest-viewer]").TextContent);
    }

    [Fact]
    public async Task An_invalid_spec_shows_each_error_at_its_path_and_a_valid_one_is_saved()
    {
        var page = await RenderAsync();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=loading]")));
        await page.InvokeAsync(() => page.Find("[data-testid=new-dataset]").Click());
        var name = $"pg-{Guid.NewGuid():N}"[..16];

        await page.InvokeAsync(() => page.Find("textarea[data-testid=spec-json]").Change(
            $$"""{ "name": "{{name}}", "description": "page test", "purpose": "cawg.ai_training", "license": "CC-BY-4.0", "splits": { "train": 0.5 }, "rowGroupMb": 500 }"""));
        await page.InvokeAsync(() => page.Find("[data-testid=save-spec]").Click());

        page.WaitForAssertion(() => Assert.Contains("splits", page.Find("[data-testid=spec-errors]").TextContent));
        Assert.Contains("rowGroupMb", page.Find("[data-testid=spec-errors]").TextContent);
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from export.datasets where name = $1", name));

        await page.InvokeAsync(() => page.Find("textarea[data-testid=spec-json]").Change(
            $$"""{ "name": "{{name}}", "description": "page test", "purpose": "cawg.ai_training", "license": "CC-BY-4.0", "splits": { "train": 0.9, "validation": 0, "test": 0.1 } }"""));
        await page.InvokeAsync(() => page.Find("[data-testid=save-spec]").Click());

        page.WaitForAssertion(() => Assert.Equal(name, page.Find("[data-testid=selected]").TextContent));
        Assert.Equal(1, await platform.ScalarAsync<int>("select spec_version from export.datasets where name = $1", name));
        Assert.Contains("Not run yet", page.Find("[data-testid=no-runs]").TextContent);
    }
}
