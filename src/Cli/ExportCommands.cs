using System.CommandLine;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Database;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.Cli;

/// <summary><c>export run|list|verify</c>: dataset exports for ML engineers.</summary>
public static class ExportCommands
{
    public static Command Create()
    {
        var export = new Command("export", "Export datasets to Parquet, list runs, verify downloads.");
        export.Subcommands.Add(Run());
        export.Subcommands.Add(List());
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
