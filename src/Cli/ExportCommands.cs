using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Database;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.Cli;

/// <summary><c>export run|list|pull|verify</c>: dataset exports for ML engineers.</summary>
public static class ExportCommands
{
    public static Command Create()
    {
        var export = new Command("export", "Export datasets to Parquet, list runs, verify downloads.");
        export.Subcommands.Add(Run());
        export.Subcommands.Add(List());
        export.Subcommands.Add(Pull());
        export.Subcommands.Add(Verify());
        return export;
    }

    private static Command Run()
    {
        var dataset = new Option<string>("--dataset") { Description = "The dataset's name (see `export list`).", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "A new or empty directory to publish into.", Required = true };
        var command = new Command("run", "Export a dataset now: Parquet shards and manifest.json, published all at once.") { dataset, output };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var exporter = services.GetRequiredService<DatasetExporter>();
            using var bar = new ProgressBar(Console.Error);
            var exported = await exporter.RunAsync(parse.GetValue(dataset)!, parse.GetValue(output)!.FullName, Actor.CommandLine(),
                new Progress<ExportProgress>(bar.Report), cancellationToken);
            if (exported.Refusal is { } refusal)
            {
                return await CliHost.RefusedAsync(refusal);
            }

            bar.Finish();
            var run = exported.Value;
            var manifest = run.Manifest;
            Console.WriteLine($"Exported dataset '{manifest.Dataset}' (run {run.RunId}) to {run.Output}");
            Console.WriteLine($"  rows:     {manifest.RowsIncluded}");
            Console.WriteLine($"  excluded: {(manifest.Excluded.Count == 0 ? "none" : string.Join(", ", manifest.Excluded.Select(e => $"{e.Key} {e.Value}")))}");
            foreach (var file in manifest.Files)
            {
                Console.WriteLine($"  {file.Path}  {file.Rows} rows  {file.Bytes} bytes  sha256 {file.Sha256}");
            }

            Console.WriteLine($"  manifest: {Path.Combine(run.Output, ExportManifest.FileName)}");
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List datasets and their recent runs.");
        command.SetAction((_, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var datasets = await services.GetRequiredService<DatasetCatalog>().ListAsync(cancellationToken);
            if (datasets.Count == 0)
            {
                Console.WriteLine("No datasets yet. `./aisocial up` seeds one named 'demo'.");
                return 0;
            }

            var runs = await services.GetRequiredService<ExportRuns>().RecentAsync(null, 50, cancellationToken);
            foreach (var dataset in datasets)
            {
                Console.WriteLine($"{dataset.Name}  ({dataset.Purpose})  {dataset.Description}");
                foreach (var run in runs.Where(r => r.Dataset == dataset.Name).Take(5))
                {
                    var status = run.Status.ToDatabase();
                    var outcome = run.Status == ExportRunStatus.Succeeded ? $"{run.RowsIncluded} rows" : run.Error ?? status;
                    Console.WriteLine($"  {run.StartedAt:u}  {run.RunId}  {status,-9}  {outcome}  {run.Output}");
                }
            }

            return 0;
        }));
        return command;
    }

    public const string DefaultConsole = "http://127.0.0.1:5090";
    public const string DefaultFeed = "http://127.0.0.1:5080";

    /// <summary>
    /// Downloads a run from the console's API with a staff bearer token: <c>--token</c> or <c>AISOCIAL_TOKEN</c>, or one
    /// the Feed's <c>POST /api/v1/sessions</c> issues for <c>--handle</c> and <c>--password</c> (or <c>AISOCIAL_PASSWORD</c>).
    /// Needs no database: it is what an ML engineer runs on their own machine.
    /// </summary>
    private static Command Pull()
    {
        var name = new Argument<string>("name") { Description = "The dataset's name." };
        var run = new Option<Guid?>("--run") { Description = "The run to pull (default: the newest succeeded run)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where to put the files; an interrupted pull into it resumes.", Required = true };
        var server = new Option<string>("--server")
        {
            Description = "The console's address (default: AISOCIAL_CONSOLE_URL, else " + DefaultConsole + ").",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AISOCIAL_CONSOLE_URL") ?? DefaultConsole,
        };
        var token = new Option<string?>("--token") { Description = "A staff bearer token (default: AISOCIAL_TOKEN)." };
        var handle = new Option<string?>("--handle") { Description = "Sign in as this ML engineer or admin instead of passing a token." };
        var password = new Option<string?>("--password") { Description = "The password for --handle (default: AISOCIAL_PASSWORD)." };
        var feed = new Option<string>("--feed")
        {
            Description = "The Feed's address, where --handle signs in (default: AISOCIAL_FEED_URL, else " + DefaultFeed + ").",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AISOCIAL_FEED_URL") ?? DefaultFeed,
        };
        var command = new Command("pull", "Download a dataset's run from the console: a progress bar, resumed downloads, every SHA-256 checked.")
        {
            name, run, output, server, token, handle, password, feed,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(parse.GetValue(server)!.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
            try
            {
                var bearer = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("AISOCIAL_TOKEN");
                if (bearer is null && parse.GetValue(handle) is { } signInHandle)
                {
                    bearer = await SignInAsync(parse.GetValue(feed)!, signInHandle,
                        parse.GetValue(password) ?? Environment.GetEnvironmentVariable("AISOCIAL_PASSWORD") ?? "", cancellationToken);
                }

                if (bearer is null)
                {
                    await Console.Error.WriteLineAsync("error: pass --token (or set AISOCIAL_TOKEN), or --handle and --password to sign in.");
                    return 2;
                }

                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
                var pull = new DatasetPull(http, Console.Out, Console.Error, interactive: !Console.IsErrorRedirected);
                var dataset = parse.GetValue(name)!;
                var runId = parse.GetValue(run) ?? await pull.LatestRunAsync(dataset, cancellationToken);
                await pull.PullAsync(dataset, runId, parse.GetValue(output)!.FullName, cancellationToken);
                return 0;
            }
            catch (PullFailedException failed)
            {
                await Console.Error.WriteLineAsync($"error: {failed.Message}");
                return 1;
            }
            catch (HttpRequestException unreachable)
            {
                await Console.Error.WriteLineAsync($"error: cannot reach {http.BaseAddress} ({unreachable.Message}).");
                return 3;
            }
        });
        return command;
    }

    private static async Task<string> SignInAsync(string feed, string handle, string password, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(feed.TrimEnd('/') + "/") };
        using var response = await http.PostAsJsonAsync("api/v1/sessions", new { handle, password }, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new PullFailedException($"signing in as {handle} at {feed} was refused ({(int)response.StatusCode}).");
        }

        return (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("token").GetString()!;
    }

    private static Command Verify()
    {
        var directory = new Argument<DirectoryInfo>("directory") { Description = "An export directory holding manifest.json." };
        var command = new Command("verify", "Check every file of an export against the sizes and SHA-256 in its manifest.") { directory };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(directory)!.FullName;
            if (!File.Exists(Path.Combine(path, ExportManifest.FileName)))
            {
                await Console.Error.WriteLineAsync($"error: {path} has no {ExportManifest.FileName}.");
                return 2;
            }

            var results = await ExportVerifier.VerifyAsync(path, cancellationToken);
            foreach (var result in results)
            {
                Console.WriteLine(result.Ok ? $"ok    {result.Path}" : $"FAIL  {result.Path}: {result.Problem}");
            }

            var failed = results.Count(r => !r.Ok);
            Console.WriteLine(failed == 0 ? $"All {results.Count} file(s) match the manifest." : $"{failed} of {results.Count} file(s) do not match the manifest.");
            return failed == 0 ? 0 : 1;
        });
        return command;
    }
}
