using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Testing;

namespace AiSocial.AdminConsole.Tests;

/// <summary>
/// The console on Kestrel publishing runs to Azurite as well as to its export root, with one run whose directory was
/// deleted once a range of its shard had been served from disk: as for a run another node published, only the
/// container has it now.
/// </summary>
public sealed class BlobDatasetsConsole : ConsoleFixture
{
    public const string Shard = "data/train-00000-of-00001.parquet";

    private Azurite? _azurite;

    public string Dataset { get; } = $"ds-{Guid.NewGuid():N}"[..16];

    public ExportRunResult Run { get; private set; } = null!;

    /// <summary>The shard's bytes 100 to 199 as served from the run's directory, and the ETag they came with.</summary>
    public (byte[] Bytes, string ETag, string ContentRange) RangeFromDisk { get; private set; }

    protected override bool OnKestrel => true;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Export:Blob:ConnectionString"] = _azurite!.ConnectionString;
        settings["Export:Blob:Container"] = "datasets";
    }

    protected override async Task StartAsync()
    {
        _azurite = await Azurite.StartAsync();
        await base.StartAsync();
        var author = await CreateAccountAsync();
        await Get<ConsentLedger>().RecordAsync(new Actor(author.Id, author.Handle), author.Id,
            new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default);
        await Get<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec { Name = Dataset, Description = "a dataset in Blob Storage", Purpose = ConsentPurposes.AiTraining }, default);
        Run = (await Get<ExportRunner>().RunAsync(Dataset, Actor.System("test"), ExportRunKind.Full, null, null, default)).Value;

        var fromDisk = await RangeAsync(await ClientAsync(Roles.MlEngineer));
        Assert.Equal(HttpStatusCode.PartialContent, fromDisk.StatusCode);
        RangeFromDisk = (await fromDisk.Content.ReadAsByteArrayAsync(), fromDisk.Headers.ETag!.ToString(), fromDisk.Content.Headers.ContentRange!.ToString());
        Directory.Delete(Run.Output, recursive: true);
    }

    protected override async ValueTask StopAsync()
    {
        await base.StopAsync();
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    public async Task<HttpResponseMessage> RangeAsync(HttpClient client, EntityTagHeaderValue? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/datasets/{Dataset}/runs/{Run.RunId}/files/{Shard}")
        {
            Headers = { Range = new RangeHeaderValue(100, 199) },
        };
        if (ifNoneMatch is not null)
        {
            request.Headers.IfNoneMatch.Add(ifNoneMatch);
        }

        return await client.SendAsync(request);
    }

    public async Task<HttpClient> ClientAsync(string role)
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", await TokenAsync(role));
        return client;
    }

    public async Task<string> TokenAsync(string role) => (await Get<AccessTokens>().IssueAsync((await CreateAccountAsync(role)).Id, default)).Token;
}

/// <summary>A run that only the Blob container holds is served and pulled exactly as one on disk.</summary>
public sealed class DatasetsBlobTests(BlobDatasetsConsole console) : IClassFixture<BlobDatasetsConsole>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("aisocial-pull-blob-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task A_range_of_a_run_only_in_the_container_is_served_with_the_same_bytes_and_etag_as_from_disk()
    {
        var engineer = await console.ClientAsync(Roles.MlEngineer);
        Assert.False(Directory.Exists(console.Run.Output));

        var fromContainer = await console.RangeAsync(engineer);
        var revalidated = await console.RangeAsync(engineer, EntityTagHeaderValue.Parse(console.RangeFromDisk.ETag));
        var manifest = await engineer.GetAsync($"/api/v1/datasets/{console.Dataset}/runs/{console.Run.RunId}/files/manifest.json");

        Assert.Equal(HttpStatusCode.PartialContent, fromContainer.StatusCode);
        Assert.Equal(console.RangeFromDisk.Bytes, await fromContainer.Content.ReadAsByteArrayAsync());
        Assert.Equal(console.RangeFromDisk.ETag, fromContainer.Headers.ETag!.ToString());
        Assert.Equal(console.RangeFromDisk.ContentRange, fromContainer.Content.Headers.ContentRange!.ToString());
        Assert.Equal($"\"{console.Run.Manifest!.Files.Single(f => f.Path == BlobDatasetsConsole.Shard).Sha256}\"", console.RangeFromDisk.ETag);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(console.Run.RunId, (await manifest.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid());
    }

    [Fact]
    public async Task Export_pull_downloads_a_run_only_in_the_container_and_verify_accepts_the_copy()
    {
        var copy = Path.Combine(_work, "copy");

        var pulled = await ExportPullTests.CliAsync("export", "pull", console.Dataset, "--out", copy, "--server", console.Address.ToString(),
            "--token", await console.TokenAsync(Roles.MlEngineer));
        var verified = await ExportPullTests.CliAsync("export", "verify", copy);

        Assert.True(pulled.ExitCode == 0, pulled.Output + pulled.Error);
        Assert.True(verified.ExitCode == 0, verified.Output);
        Assert.Contains($"ok    {BlobDatasetsConsole.Shard}", verified.Output);
    }
}
