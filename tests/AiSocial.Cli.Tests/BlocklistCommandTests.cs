using AiSocial.Testing;

namespace AiSocial.Cli.Tests;

public sealed class BlocklistCommandTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    [Fact]
    public async Task Terms_are_added_listed_and_removed_with_an_audit_entry_and_bad_input_is_a_clear_error()
    {
        var add = await CommandLine.RunAsync(platform, "blocklist", "add", "Blood Bath", "--rule", "violence");
        Assert.Equal(0, add.ExitCode);
        Assert.Contains("Blood Bath\tviolence", add.Output);

        var again = await CommandLine.RunAsync(platform, "blocklist", "add", "blood-BATH", "--rule", "violence");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already on the blocklist", again.Error);
        var badRule = await CommandLine.RunAsync(platform, "blocklist", "add", "thing", "--rule", "Not A Rule");
        Assert.Equal(2, badRule.ExitCode);
        Assert.StartsWith("error: ", badRule.Error);

        var list = await CommandLine.RunAsync(platform, "blocklist", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("Blood Bath\tviolence", list.Output);

        Assert.Equal(0, (await CommandLine.RunAsync(platform, "blocklist", "remove", "blood bath")).ExitCode);
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.prompt_blocklist"));
        Assert.Equal(2L, await platform.ScalarAsync<long>(
            "select count(*) from ingest.audit_log where action in ('blocklist.add', 'blocklist.remove')"));
        var missing = await CommandLine.RunAsync(platform, "blocklist", "remove", "blood bath");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("not on the blocklist", missing.Error);
    }
}
