using AiSocial.Testing;

namespace AiSocial.Cli.Tests;

public sealed class ClassifierCommandTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    [Fact]
    public async Task Training_without_enough_labels_is_refused_with_the_reason_and_stores_nothing()
    {
        var train = await CommandLine.RunAsync(platform, "classifier", "train");

        Assert.Equal(2, train.ExitCode);
        Assert.StartsWith("error: ", train.Error);
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.text_models"));
        var list = await CommandLine.RunAsync(platform, "classifier", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("No versions yet", list.Output);
    }

    [Fact]
    public async Task Promoting_an_unknown_version_is_a_clear_error()
    {
        var promote = await CommandLine.RunAsync(platform, "classifier", "promote", "4242");

        Assert.Equal(2, promote.ExitCode);
        Assert.Contains("4242", promote.Error);
    }
}
