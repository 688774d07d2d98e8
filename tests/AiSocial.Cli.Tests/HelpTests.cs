namespace AiSocial.Cli.Tests;

/// <summary>Usage and help as a newcomer sees them: named after ./aisocial, the script they run, and never a silent success.</summary>
public sealed class HelpTests
{
    [Theory]
    [InlineData("export", "run")]
    [InlineData("models", "check")]
    [InlineData("classifier", "promote")]
    [InlineData("blocklist", "add")]
    [InlineData("accounts", "suspend")]
    [InlineData("media", "sweep")]
    [InlineData("consent", "verify")]
    public async Task A_command_group_without_its_subcommand_prints_its_usage_and_fails(string group, string subcommand)
    {
        var result = await CommandLine.RunAsync(null, group);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"./aisocial {group} [command] [options]", result.Output);
        Assert.Contains($"  {subcommand} ", result.Output);
        Assert.Contains("Required command was not provided", result.Error);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("export --help")]
    [InlineData("export run --help")]
    public async Task Help_names_the_script_people_run_not_the_program_behind_it(string arguments)
    {
        var result = await CommandLine.RunAsync(null, arguments.Split(' '));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"./aisocial {string.Join(' ', arguments.Split(' ').SkipLast(1))}".TrimEnd() + " ", result.Output);
        Assert.DoesNotContain("aisocial-cli", result.Output + result.Error);
    }
}
