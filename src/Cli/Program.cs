using System.CommandLine;
using AiSocial.Cli;

var root = new RootCommand("AiSocial operator and ML-engineer commands. Run through ./aisocial, which sets up the database for you.");
root.Subcommands.Add(PlatformCommands.Migrate());
root.Subcommands.Add(PlatformCommands.Seed());
root.Subcommands.Add(PlatformCommands.Media());
root.Subcommands.Add(PlatformCommands.DemoAccounts());
root.Subcommands.Add(ExportCommands.Create());
root.Subcommands.Add(ModelCommands.Create());
root.Subcommands.Add(ClassifierCommands.Create());
root.Subcommands.Add(AccountCommands.Create());
return await root.Parse(args).InvokeAsync();
