using System.CommandLine;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Export.Writing;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Database;
using AiSocial.Problems;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.Cli;

/// <summary><c>export run|list|spec|verify</c>: dataset specs and their runs, for ML engineers.</summary>
public static class ExportCommands
{
    public static Command Create()
    {
        var export = new Command("export", "Define datasets, run their exports to Parquet, list runs, verify downloads.");
        export.Subcommands.Add(Run());
        export.Subcommands.Add(List());
        export.Subcommands.Add(Spec());
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
                Console.WriteLine(stored.Spec.ToJson());
                return 0;
            }

            foreach (var version in await specs.HistoryAsync(dataset, cancellationToken))
            {
                Console.WriteLine($"# version {version.Version}, {version.CreatedAt:u} by {version.CreatedBy}");
                Console.WriteLine(version.Spec.ToJson());
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
