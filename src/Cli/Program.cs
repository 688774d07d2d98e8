using System.CommandLine;
using System.CommandLine.Help;
using AiSocial.Cli;

// Named as people run it: help and usage say ./aisocial, the script that sets up the database, not this program's file.
var root = new Command("./aisocial", "AiSocial operator and ML-engineer commands. Run through ./aisocial, which sets up the database for you.")
{
    new HelpOption(),
    new VersionOption(),
};
root.Subcommands.Add(PlatformCommands.Migrate());
root.Subcommands.Add(PlatformCommands.Seed());
root.Subcommands.Add(PlatformCommands.Media());
root.Subcommands.Add(PlatformCommands.DemoAccounts());
root.Subcommands.Add(ExportCommands.Create());
root.Subcommands.Add(ModelCommands.Create());
root.Subcommands.Add(ClassifierCommands.Create());
root.Subcommands.Add(BlocklistCommands.Create());
root.Subcommands.Add(AccountCommands.Create());
root.Subcommands.Add(ConsentCommands.Create());
return await root.Parse(args).InvokeAsync();
