using System.Collections.Concurrent;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.AdminConsole.Tests;

/// <summary>
/// The console on Kestrel with a dataset and one published run made by the exporter, and a record of every request's
/// <c>Range</c> header, so a test sees what a client asked for.
/// </summary>
public sealed class DatasetsConsole : ConsoleFixture
{
    public string Dataset { get; } = $"ds-{Guid.NewGuid():N}"[..16];

    public ExportRunResult Run { get; private set; } = null!;

    public ConcurrentQueue<(string Path, string? Range)> Requests { get; } = new();

    protected override bool OnKestrel => true;

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<IStartupFilter>(new RequestRecorder(Requests));

    protected override async Task StartAsync()
    {
        await base.StartAsync();
        var author = await CreateAccountAsync();
        await Get<ConsentLedger>().RecordAsync(new Actor(author.Id, author.Handle), author.Id,
            new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default);
        await Get<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec { Name = Dataset, Description = "a dataset to pull", Purpose = ConsentPurposes.AiTraining }, default);
        Run = (await Get<ExportRunner>().RunAsync(Dataset, Actor.System("test"), ExportRunKind.Full, Path.Combine(ExportRoot, Dataset, "first"), null, default)).Value;
    }

    /// <summary>A client with a bearer token of a new account in <paramref name="role"/>.</summary>
    public async Task<HttpClient> ClientAsync(string role)
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", await TokenAsync(role));
        return client;
    }

    public async Task<string> TokenAsync(string role) => (await Get<AccessTokens>().IssueAsync((await CreateAccountAsync(role)).Id, default)).Token;

    private sealed class RequestRecorder(ConcurrentQueue<(string Path, string? Range)> requests) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                requests.Enqueue((context.Request.Path.Value ?? "", context.Request.Headers.Range.ToString() is { Length: > 0 } range ? range : null));
                await nextMiddleware();
            });
            next(app);
        };
    }
}
