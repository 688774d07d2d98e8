using System.CommandLine;
using AiSocial.Ingest.Consent;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AiSocial.Cli;

/// <summary><c>aisocial consent …</c>: checks on the hash-chained consent ledger.</summary>
public static class ConsentCommands
{
    public static Command Create()
    {
        var command = new Command("consent", "The consent ledger: every grant and withdrawal, hash-chained.");
        command.Subcommands.Add(Verify());
        return command;
    }

    private static Command Verify()
    {
        var command = new Command("verify",
            "Walk the whole ledger and recompute every hash: prints the event count, the head hash and OK, or the first broken event and why (exit code 1).");
        command.SetAction((_, cancellationToken) => CliHost.RunAsync(async services =>
        {
            var check = await ConsentChain.VerifyAsync(services.GetRequiredService<NpgsqlDataSource>(), cancellationToken);
            Console.WriteLine($"events: {check.Events}");
            Console.WriteLine($"head: {check.HeadHash ?? "(empty ledger)"}");
            if (check.Ok)
            {
                Console.WriteLine("OK");
                return 0;
            }

            Console.WriteLine($"BROKEN at {check.Reason}");
            return 1;
        }));
        return command;
    }
}
