using System.CommandLine;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Prompts;
using AiSocial.Problems;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.Cli;

/// <summary><c>aisocial blocklist …</c>: the prompt blocklist the prompt gate checks before any image is generated. Audited.</summary>
public static class BlocklistCommands
{
    public static Command Create()
    {
        var command = new Command("blocklist", "The prompt blocklist: terms refused (as whole words) in prompts before anything is generated.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "Every blocked term with its rule, who added it and when.");
        command.SetAction((_, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var entries = await services.GetRequiredService<PromptBlocklist>().ListAsync(cancellationToken);
            if (entries.Count == 0)
            {
                Console.WriteLine("The blocklist is empty: `./aisocial blocklist add TERM --rule RULE` adds a term.");
            }

            foreach (var entry in entries)
            {
                Print(entry);
            }

            return 0;
        }));
        return command;
    }

    private static Command Add()
    {
        var term = new Argument<string>("TERM") { Description = "A word or phrase; matched as whole words, ignoring case, accents and punctuation." };
        var rule = new Option<string>("--rule") { Description = "The category it is blocked under, such as violence or sexual-minors.", Required = true };
        var command = new Command("add", "Block a term in prompts and negative prompts.") { term, rule };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async services =>
            await PrintAsync(await services.GetRequiredService<PromptBlocklist>().AddAsync(Actor.CommandLine(), parse.GetValue(term)!,
                parse.GetValue(rule)!, cancellationToken))));
        return command;
    }

    private static Command Remove()
    {
        var term = new Argument<string>("TERM") { Description = "The blocked term (in any case or accents)." };
        var command = new Command("remove", "Unblock a term.") { term };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async services =>
            await PrintAsync(await services.GetRequiredService<PromptBlocklist>().RemoveAsync(Actor.CommandLine(), parse.GetValue(term)!,
                cancellationToken))));
        return command;
    }

    private static async Task<int> PrintAsync(Outcome<BlocklistEntry> outcome)
    {
        if (outcome.Refusal is { } refusal)
        {
            return await CliHost.RefusedAsync(refusal);
        }

        Print(outcome.Value);
        return 0;
    }

    private static void Print(BlocklistEntry entry) =>
        Console.WriteLine($"{entry.Term}\t{entry.Rule}\tadded {entry.AddedAt:yyyy-MM-dd HH:mm} by {entry.AddedBy}");
}
