using System.CommandLine;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Problems;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.Cli;

/// <summary>
/// <c>accounts grant|revoke|suspend|reinstate</c>: an admin's account changes, audited. Taking a role away or
/// suspending ends the account's console sessions and stops its bearer tokens at once.
/// </summary>
public static class AccountCommands
{
    public static Command Create()
    {
        var command = new Command("accounts", "Give or take roles, suspend or reinstate an account (audited).");
        command.Subcommands.Add(Roles("grant", "Give an account a role.", (accounts, id, role, ct) => accounts.GrantRolesAsync(Actor.CommandLine(), id, [role], ct)));
        command.Subcommands.Add(Roles("revoke", "Take a role away; its console sessions end at once.",
            (accounts, id, role, ct) => accounts.RemoveRolesAsync(Actor.CommandLine(), id, [role], ct)));
        command.Subcommands.Add(Suspend());
        command.Subcommands.Add(Reinstate());
        return command;
    }

    private static readonly Argument<string> HandleArgument = new("HANDLE") { Description = "The account's handle." };

    private static Command Roles(string name, string description, Func<AccountRegistry, Guid, string, CancellationToken, Task<Refusal?>> change)
    {
        var role = new Argument<string>("ROLE") { Description = $"One of {string.Join(", ", Ingest.Accounts.Roles.All)}." };
        var command = new Command(name, description) { HandleArgument, role };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(services =>
            ChangeAsync(services, parse.GetValue(HandleArgument)!, (accounts, id) => change(accounts, id, parse.GetValue(role)!, cancellationToken),
                $"{name}: {parse.GetValue(role)}", cancellationToken)));
        return command;
    }

    private static Command Suspend()
    {
        var reason = new Option<string>("--reason") { Description = "Why (kept in the audit log).", Required = true };
        var command = new Command("suspend", "Suspend an account: no sign-in, and its tokens and console sessions stop at once.") { HandleArgument, reason };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(services =>
            ChangeAsync(services, parse.GetValue(HandleArgument)!,
                (accounts, id) => accounts.SuspendAsync(Actor.CommandLine(), id, parse.GetValue(reason)!, cancellationToken), "suspended", cancellationToken)));
        return command;
    }

    private static Command Reinstate()
    {
        var command = new Command("reinstate", "Lift a suspension.") { HandleArgument };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(services =>
            ChangeAsync(services, parse.GetValue(HandleArgument)!,
                (accounts, id) => accounts.ReinstateAsync(Actor.CommandLine(), id, cancellationToken), "reinstated", cancellationToken)));
        return command;
    }

    private static async Task<int> ChangeAsync(IServiceProvider services, string handle, Func<AccountRegistry, Guid, Task<Refusal?>> change, string done,
        CancellationToken cancellationToken)
    {
        var accounts = services.GetRequiredService<AccountRegistry>();
        if (await accounts.FindByHandleAsync(handle, cancellationToken) is not { } account)
        {
            return await CliHost.RefusedAsync(new Refusal(CommonProblems.NotFound, $"There is no account @{handle}."));
        }

        if (await change(accounts, account.Id) is { } refusal)
        {
            return await CliHost.RefusedAsync(refusal);
        }

        Console.WriteLine($"@{account.Handle} {done}.");
        return 0;
    }
}
