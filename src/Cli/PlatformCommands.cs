using System.CommandLine;
using AiSocial.Cli.Demo;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Media;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.Cli;

public static class PlatformCommands
{
    public static Command Migrate()
    {
        var command = new Command("migrate", "Apply every module's database migrations.");
        command.SetAction((_, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var applied = await services.GetRequiredService<MigrationRunner>().ApplyAsync(cancellationToken);
            Console.WriteLine(applied.Count == 0 ? "Database is up to date." : $"Applied {applied.Count} migration(s): {string.Join(", ", applied.Select(s => $"{s.Module}/{s.Name}"))}");
            return 0;
        }));
        return command;
    }

    public static Command Media()
    {
        var sweep = new Command("sweep",
            "Remove media files no row refers to: temporaries of failed uploads and unreferenced files older than Media:StrayFileGrace.");
        sweep.SetAction((_, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var result = await services.GetRequiredService<MediaSweeper>().SweepAsync(cancellationToken);
            Console.WriteLine($"Removed {result.TemporariesRemoved} temporary and {result.UnreferencedRemoved} unreferenced file(s); kept {result.FilesKept}.");
            if (result.RowsWithoutFile > 0)
            {
                await Console.Error.WriteLineAsync($"warning: {result.RowsWithoutFile} media row(s) have no file; restore them from a backup of the media root.");
                return 1;
            }

            return 0;
        }));
        return new Command("media", "Look after the media root.") { sweep };
    }

    public static Command Seed()
    {
        var credentials = new Option<FileInfo>("--credentials") { Description = "Where the demo passwords are kept (created on first run).", Required = true };
        var command = new Command("seed", "Create the demo accounts, posts and dataset; running it again changes nothing.") { credentials };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var seed = ActivatorUtilities.CreateInstance<DemoSeed>(services);
            await seed.RunAsync(parse.GetValue(credentials)!.FullName, Console.Out, cancellationToken);
            return 0;
        }));
        return command;
    }

    public static Command DemoAccounts()
    {
        var credentials = new Option<FileInfo>("--credentials") { Description = "The file `seed` wrote.", Required = true };
        var command = new Command("demo-accounts", "Print the demo accounts and their passwords.") { credentials };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(credentials)!;
            if (!file.Exists)
            {
                await Console.Error.WriteLineAsync($"error: {file.FullName} does not exist; run `./aisocial seed` first.");
                return 2;
            }

            IReadOnlyList<DemoAccount> accounts;
            try
            {
                accounts = await DemoCredentials.LoadAsync(file.FullName, cancellationToken);
            }
            catch (UnreadableFileException unreadable)
            {
                await Console.Error.WriteLineAsync($"error: {unreadable.Message}");
                return 2;
            }

            foreach (var account in accounts)
            {
                Console.WriteLine($"{account.Role,-12} {account.Handle,-16} {account.Password}");
            }

            return 0;
        });
        return command;
    }
}
