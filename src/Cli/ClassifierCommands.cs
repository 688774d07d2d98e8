using System.CommandLine;
using System.Globalization;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.TextClassifier;
using AiSocial.Problems;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.Cli;

/// <summary><c>aisocial classifier …</c>: the in-house text classifier's versions — list, train now, promote, retire. Audited.</summary>
public static class ClassifierCommands
{
    public static Command Create()
    {
        var command = new Command("classifier", "The in-house text classifier trained from reviewers' labels.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Promote());
        command.Subcommands.Add(Retire());
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "Every version with its status, training snapshot and held-out metrics.");
        command.SetAction((_, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var versions = await services.GetRequiredService<TextModelRegistry>().ListAsync(cancellationToken);
            if (versions.Count == 0)
            {
                Console.WriteLine("No versions yet: `./aisocial classifier train` trains one from reviewers' labels.");
            }

            foreach (var version in versions)
            {
                Print(version);
            }

            return 0;
        }));
        return command;
    }

    private static Command Train()
    {
        var command = new Command("train", "Train a new version now from every reviewer label; it starts in shadow.");
        command.SetAction((_, cancellationToken) => CliHost.RunAsync(async services =>
        {
            return await PrintAsync(await services.GetRequiredService<TextModelRegistry>().TrainAsync(Actor.CommandLine(), cancellationToken));
        }));
        return command;
    }

    private static Command Promote()
    {
        var version = new Argument<long>("VERSION") { Description = "The shadow version to make active." };
        var command = new Command("promote", "Make a shadow version active (the active one is retired).") { version };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async services =>
        {
            return await PrintAsync(
                await services.GetRequiredService<TextModelRegistry>().PromoteAsync(Actor.CommandLine(), parse.GetValue(version), cancellationToken));
        }));
        return command;
    }

    private static Command Retire()
    {
        var version = new Argument<long>("VERSION") { Description = "The version to take out of service." };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the audit log).", Required = true };
        var command = new Command("retire", "Take a version out of service.") { version, reason };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async services =>
        {
            return await PrintAsync(await services.GetRequiredService<TextModelRegistry>().RetireAsync(Actor.CommandLine(), parse.GetValue(version),
                parse.GetValue(reason)!, cancellationToken));
        }));
        return command;
    }

    private static async Task<int> PrintAsync(Outcome<TextModelVersion> outcome)
    {
        if (outcome.Refusal is { } refusal)
        {
            return await CliHost.RefusedAsync(refusal);
        }

        Print(outcome.Value);
        return 0;
    }

    private static void Print(TextModelVersion version)
    {
        static string Share(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";
        var snapshot = version.Snapshot;
        Console.WriteLine(
            $"{version.Label,-5} {version.Status.ToString().ToLowerInvariant(),-7} trained {version.CreatedAt:yyyy-MM-dd HH:mm} by {version.TrainedBy}; " +
            $"{snapshot.Rows} labelled posts ({snapshot.Positives} unsafe, {snapshot.HeldOutRows} held out), labels up to #{snapshot.MaxLabelId}; " +
            $"held-out precision {Share(version.Metrics.Precision)}, recall {Share(version.Metrics.Recall)}, AUC {Share(version.Metrics.Auc)}");
    }
}
