using System.Diagnostics;
using AiSocial.Testing;

namespace AiSocial.Cli.Tests;

public sealed record CommandResult(int ExitCode, string Output, string Error);

/// <summary>Runs the built command line against a test database and media root, as ./aisocial does.</summary>
public static class CommandLine
{
    private static string Binary
    {
        get
        {
            // Same configuration as these tests (bin/<Configuration>/<framework>/).
            var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var path = Path.Combine(RepositoryRoot.Path, "src", "Cli", "bin", framework.Parent!.Name, framework.Name, "aisocial-cli.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first.", path);
        }
    }

    public static Task<CommandResult> RunAsync(DatabaseFixture? platform, params string[] arguments) =>
        RunAsync(platform, new Dictionary<string, string>(), arguments);

    /// <summary>Runs the command line with extra environment variables.</summary>
    public static async Task<CommandResult> RunAsync(DatabaseFixture? platform, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", [Binary, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Only what the test gives: no setting leaks in from the environment the tests run in.
        start.Environment.Remove("ConnectionStrings__aisocial");
        if (platform is not null)
        {
            start.Environment["ConnectionStrings__aisocial"] = platform.ConnectionString;
            start.Environment["Media__Root"] = platform.MediaRoot;
            start.Environment["Export__Root"] = platform.ExportRoot;
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new CommandResult(process.ExitCode, await output, await error);
    }
}
