using System.Diagnostics;
using AiSocial.Testing;

namespace AiSocial.Feed.Tests;

public sealed class HostConfigurationTests
{
    /// <summary>
    /// Starts the real Feed (the built AiSocial.Feed.dll beside the tests) with these settings and waits for it to stop by
    /// itself. A process, not WebApplicationFactory: when a host fails that early, the factory may report only that its
    /// services were disposed, and the message a person would read is lost.
    /// </summary>
    private static async Task<(int ExitCode, string Output)> StartFeedAsync(IDictionary<string, string> settings)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "AiSocial.Feed.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        using var feed = Process.Start(start)!;
        var output = feed.StandardOutput.ReadToEndAsync();
        var error = feed.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await feed.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            feed.Kill(entireProcessTree: true);
            throw new TimeoutException("The Feed kept running with a setting that should have stopped it.");
        }

        return (feed.ExitCode, await output + await error);
    }

    [Fact]
    public async Task Outside_development_a_feed_without_a_connection_string_refuses_to_start_and_names_the_setting()
    {
        var (exitCode, output) = await StartFeedAsync(new Dictionary<string, string> { ["ConnectionStrings__aisocial"] = "" });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ConnectionStrings:aisocial is not set", output);
    }

    [Fact]
    public async Task A_connection_string_npgsql_cannot_read_stops_the_start_too()
    {
        var (exitCode, output) = await StartFeedAsync(new Dictionary<string, string> { ["ConnectionStrings__aisocial"] = "Host=localhost;Bogus Key=1" });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ConnectionStrings:aisocial is not a connection string Npgsql can read", output);
    }

    [Fact]
    public async Task In_development_the_local_cluster_is_the_default_and_comes_from_configuration_not_code()
    {
        var settings = Path.Combine(RepositoryRoot.Path, "src", "Feed", "appsettings.Development.json");

        Assert.Contains("Port=55432", await File.ReadAllTextAsync(settings));
        Assert.DoesNotContain("55432", string.Concat(Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)));
    }
}
