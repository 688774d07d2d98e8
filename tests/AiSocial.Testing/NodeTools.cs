using System.Diagnostics;

namespace AiSocial.Testing;

/// <summary>The npm packages <c>./aisocial</c> installs (DuckDB, nsfwjs, tfjs): AISOCIAL_NODE_MODULES, else the checkout's .tools/.</summary>
public static class NodeTools
{
    public static string NodeModules
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("AISOCIAL_NODE_MODULES");
            if (!string.IsNullOrEmpty(configured))
            {
                return configured;
            }

            var installed = Path.Combine(RepositoryRoot.Path, ".tools", "node_modules");
            return Directory.Exists(installed)
                ? installed
                : throw new InvalidOperationException("The project's npm packages are not installed: run the tests with ./aisocial test.");
        }
    }

    /// <summary>
    /// Runs node with <paramref name="arguments"/> from the directory that holds the npm packages (bare imports resolve
    /// from there) and returns what it printed; a non-zero exit throws with its output, prefixed by <paramref name="what"/>.
    /// </summary>
    public static async Task<string> RunAsync(string what, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("node", arguments)
        {
            WorkingDirectory = Path.GetDirectoryName(NodeModules)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed ({process.ExitCode}):\n{await error}\n{await output}");
        }

        return await output;
    }
}
