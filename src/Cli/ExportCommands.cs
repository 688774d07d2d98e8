using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Export.Writing;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Database;
using AiSocial.Problems;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.Cli;

/// <summary><c>export run|list|spec|pull|verify</c>: dataset specs and their runs, for ML engineers.</summary>
public static class ExportCommands
{
    public static Command Create()
    {
        var export = new Command("export", "Define datasets, run their exports to Parquet, list runs, verify downloads.");
        export.Subcommands.Add(Run());
        export.Subcommands.Add(List());
        export.Subcommands.Add(Spec());
        export.Subcommands.Add(Pull());
        export.Subcommands.Add(Verify());
        return export;
    }

    private static Command Run()
    {
        var dataset = new Option<string>("--dataset") { Description = "The dataset's name (see `export list`).", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Publish into this new or empty directory instead of under Export__Root." };
        var incremental = new Option<bool>("--incremental") { Description = "Write only eligible rows no run has published yet; revocations as always." };
        var command = new Command("run", "Run a dataset's export now: shards, revocations.parquet, croissant.json, README.md and manifest.json, published all at once.")
        {
            dataset, output, incremental,
        };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var runner = services.GetRequiredService<ExportRunner>();
            using var bar = new ProgressBar(Console.Error);
            var kind = parse.GetValue(incremental) ? ExportRunKind.Incremental : ExportRunKind.Full;
            Outcome<ExportRunResult> exported;
            try
            {
                exported = await runner.RunAsync(parse.GetValue(dataset)!, Actor.CommandLine(), kind, parse.GetValue(output)?.FullName,
                    new InlineProgress<RunProgress>(bar.Report), cancellationToken);
            }
            catch (Exception exception) when (exception is not Npgsql.NpgsqlException { InnerException: System.Net.Sockets.SocketException })
            {
                bar.Finish();
                await Console.Error.WriteLineAsync($"error: the run failed and published nothing: {exception.Message}");
                return 1;
            }

            bar.Finish();
            if (exported.Refusal is { } refusal)
            {
                return await CliHost.RefusedAsync(refusal);
            }

            var run = exported.Value;
            if (run.Manifest is not { } manifest)
            {
                await Console.Error.WriteLineAsync($"error: run {run.RunId} was cancelled; nothing was published.");
                return 1;
            }

            Console.WriteLine($"Published dataset '{manifest.Dataset}' {manifest.Version} ({manifest.Kind}, run {run.RunId}) to {run.Output}");
            Console.WriteLine($"  rows:     {manifest.RowsIncluded}");
            Console.WriteLine($"  splits:   {string.Join(", ", (manifest.Splits ?? new Dictionary<string, long>()).Select(s => $"{s.Key} {s.Value}"))}");
            Console.WriteLine($"  excluded: {Counts(manifest.Excluded)}");
            Console.WriteLine($"  revoked:  {Counts(manifest.Revoked ?? new Dictionary<string, long>())}");
            foreach (var file in manifest.Files)
            {
                Console.WriteLine($"  {file.Path}  {file.Rows} rows  {file.Bytes} bytes  sha256 {file.Sha256}");
            }

            Console.WriteLine($"  manifest: {Path.Combine(run.Output, ExportManifest.FileName)}");
            return 0;
        }));
        return command;
    }

    private static string Counts(IReadOnlyDictionary<string, long> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.Select(e => $"{e.Key} {e.Value}"));

    private static Command List()
    {
        var command = new Command("list", "List dataset specs and their recent runs.");
        command.SetAction((_, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var datasets = await services.GetRequiredService<DatasetSpecs>().ListAsync(cancellationToken);
            if (datasets.Count == 0)
            {
                Console.WriteLine("No datasets yet. `./aisocial up` seeds one named 'demo'; `./aisocial export spec create --file spec.json` makes one.");
                return 0;
            }

            var runs = await services.GetRequiredService<ExportRuns>().RecentAsync(null, 50, cancellationToken);
            foreach (var dataset in datasets)
            {
                var spec = dataset.Spec;
                Console.WriteLine($"{spec.Name}  spec v{dataset.Version}  ({spec.Purpose}, {spec.License}, schedule {spec.Schedule ?? "none"})  {spec.Description}");
                foreach (var run in runs.Where(r => r.Dataset == spec.Name).Take(5))
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

    private static Command Spec()
    {
        var spec = new Command("spec", "Create, edit, show and validate dataset specs (JSON files).");
        var file = new Option<FileInfo>("--file") { Description = "The spec as JSON (see docs or `export spec show demo`).", Required = true };

        var validate = new Command("validate", "Check a spec file without saving it; each problem is named by its JSON path.") { file };
        validate.SetAction(async (parse, cancellationToken) =>
        {
            var read = await ReadSpecAsync(parse.GetValue(file)!, cancellationToken);
            if (read.Refusal is { } unreadable)
            {
                return await InvalidAsync(unreadable);
            }

            // The salt is generated at create when the file has none.
            var candidate = read.Value.Salt is null ? read.Value with { Salt = new string('x', 32) } : read.Value;
            if (DatasetSpecs.Validate(candidate) is { } invalid)
            {
                return await InvalidAsync(invalid);
            }

            Console.WriteLine($"{parse.GetValue(file)!.Name}: valid spec for dataset '{read.Value.Name}'.");
            return 0;
        });

        var create = new Command("create", "Create a dataset from a spec file (version 1; a salt is generated when the file has none).") { file };
        create.SetAction((parse, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var read = await ReadSpecAsync(parse.GetValue(file)!, cancellationToken);
            if (read.Refusal is { } unreadable)
            {
                return await InvalidAsync(unreadable);
            }

            var created = await services.GetRequiredService<DatasetSpecs>().CreateAsync(Actor.CommandLine(), read.Value, cancellationToken);
            if (created.Refusal is { } refusal)
            {
                return await InvalidAsync(refusal);
            }

            Console.WriteLine($"Created dataset '{created.Value.Spec.Name}', spec version {created.Value.Version}.");
            return 0;
        }));

        var edit = new Command("edit", "Save a spec file as the next version of its dataset (the name and salt never change).") { file };
        edit.SetAction((parse, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var read = await ReadSpecAsync(parse.GetValue(file)!, cancellationToken);
            if (read.Refusal is { } unreadable)
            {
                return await InvalidAsync(unreadable);
            }

            var specs = services.GetRequiredService<DatasetSpecs>();
            var before = await specs.FindAsync(read.Value.Name, cancellationToken);
            var updated = await specs.UpdateAsync(Actor.CommandLine(), read.Value.Name, read.Value, cancellationToken);
            if (updated.Refusal is { } refusal)
            {
                return await InvalidAsync(refusal);
            }

            Console.WriteLine(updated.Value.Version == before?.Version
                ? $"Dataset '{updated.Value.Spec.Name}' is unchanged (spec version {updated.Value.Version})."
                : $"Saved dataset '{updated.Value.Spec.Name}' spec version {updated.Value.Version}.");
            return 0;
        }));

        var name = new Argument<string>("name") { Description = "The dataset's name." };
        var history = new Option<bool>("--history") { Description = "Every saved version, newest first." };
        var show = new Command("show", "Print a dataset's spec as JSON, ready to edit and save with `export spec edit`.") { name, history };
        show.SetAction((parse, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var specs = services.GetRequiredService<DatasetSpecs>();
            var dataset = parse.GetValue(name)!;
            if (await specs.FindAsync(dataset, cancellationToken) is not { } stored)
            {
                return await CliHost.RefusedAsync(new Refusal(CommonProblems.NotFound, $"There is no dataset named '{dataset}'."));
            }

            if (!parse.GetValue(history))
            {
                Console.WriteLine(stored.Spec.WithoutSalt().ToJson());
                return 0;
            }

            foreach (var version in await specs.HistoryAsync(dataset, cancellationToken))
            {
                Console.WriteLine($"# version {version.Version}, {version.CreatedAt:u} by {version.CreatedBy}");
                Console.WriteLine(version.Spec.WithoutSalt().ToJson());
            }

            return 0;
        }));

        spec.Subcommands.Add(create);
        spec.Subcommands.Add(edit);
        spec.Subcommands.Add(show);
        spec.Subcommands.Add(validate);
        return spec;
    }

    private static async Task<Outcome<DatasetSpec>> ReadSpecAsync(FileInfo file, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            return new Refusal(CommonProblems.NotFound, $"{file.FullName} does not exist.");
        }

        return DatasetSpec.Parse(await File.ReadAllTextAsync(file.FullName, cancellationToken));
    }

    /// <summary>A refused spec: the detail, then each problem by JSON path on a line of its own; exit code 2.</summary>
    private static async Task<int> InvalidAsync(Refusal refusal)
    {
        if (refusal.Errors is not { Count: > 0 } errors)
        {
            return await CliHost.RefusedAsync(refusal);
        }

        await Console.Error.WriteLineAsync("error: the spec is not valid:");
        foreach (var (path, messages) in errors.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            foreach (var message in messages)
            {
                await Console.Error.WriteLineAsync($"  {(path.Length == 0 ? "$" : path)}: {message}");
            }
        }

        return 2;
    }

    /// <summary>Reports on the writer's thread, in order (Progress&lt;T&gt; would post each report to the thread pool).</summary>
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
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
