using AiSocial.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace AiSocial.Feed.Tests;

public sealed class HostConfigurationTests
{
    private static WebApplicationFactory<Program> Feed(string environment, IDictionary<string, string?> settings) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment(environment);
            foreach (var (key, value) in settings)
            {
                host.UseSetting(key, value);
            }
        });

    [Fact]
    public async Task Outside_development_a_feed_without_a_connection_string_refuses_to_start_and_names_the_setting()
    {
        await using var feed = Feed("Production", new Dictionary<string, string?> { ["ConnectionStrings:aisocial"] = "" });

        var refused = Assert.Throws<OptionsValidationException>(() => feed.Server);

        Assert.Contains("ConnectionStrings:aisocial is not set", refused.Message);
    }

    [Fact]
    public async Task A_connection_string_npgsql_cannot_read_stops_the_start_too()
    {
        await using var feed = Feed("Production", new Dictionary<string, string?> { ["ConnectionStrings:aisocial"] = "Host=localhost;Bogus Key=1" });

        var refused = Assert.Throws<OptionsValidationException>(() => feed.Server);

        Assert.Contains("ConnectionStrings:aisocial is not a connection string Npgsql can read", refused.Message);
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
