using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using AiSocial.Testing;

namespace AiSocial.Cli.Tests;

// `up` publishes three apps in Release and starts PostgreSQL and both hosts: not beside the other tests here.
[CollectionDefinition(nameof(UpTests), DisableParallelization = true)]
public sealed class UpTestsCollection;

/// <summary><c>./aisocial up</c> and <c>down</c> as a developer runs them, on their own data directory and free ports.</summary>
[Collection(nameof(UpTests))]
[SupportedOSPlatform("linux")]
public sealed class UpTests
{
    private static readonly TimeSpan UpLimit = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan PortLimit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task An_up_that_fails_at_the_seed_leaves_nothing_running_and_the_next_up_comes_up()
    {
        var data = Directory.CreateTempSubdirectory("aisocial-up-");
        // The local cluster lives in it and runs as the postgres user, who must reach it (temp directories are mode 700).
        data.UnixFileMode |= UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        var launcher = new Launcher(data.FullName, FreePorts(3));
        var credentials = Path.Combine(data.FullName, "demo-credentials.json");
        try
        {
            await File.WriteAllTextAsync(credentials, "garbage, not JSON");

            var failed = await launcher.RunAsync("up", "--detach");

            Assert.True(failed.ExitCode != 0, failed.Error);
            Assert.Contains("Starting PostgreSQL", failed.Error); // it got as far as starting something
            Assert.Contains($"error: {credentials} is not a demo credentials file", failed.Error);
            Assert.Contains("Seeding failed", failed.Error);
            Assert.DoesNotContain("Unhandled exception", failed.Error);
            Assert.Contains("AiSocial.Feed, published to", failed.Error); // the build shows its progress, project by project
            AssertPublishedForThisMachineOnly(data.FullName);
            await WaitUntilFreeAsync(launcher);
            Assert.Empty(PostgresServersIn(data.FullName));
            Assert.Empty(PidFiles(data.FullName));

            File.Delete(credentials);
            var up = await launcher.RunAsync("up", "--detach");

            Assert.True(up.ExitCode == 0, up.Error);
            Assert.Contains("AiSocial is up", up.Output);
            await WaitUntilHealthyAsync(launcher.FeedPort);
            await WaitUntilHealthyAsync(launcher.ConsolePort);

            var down = await launcher.RunAsync("down");

            Assert.True(down.ExitCode == 0, down.Error);
            await WaitUntilFreeAsync(launcher);
            Assert.Empty(PostgresServersIn(data.FullName));

            // A command group without its subcommand prints its usage and fails, and starts no database for that.
            var usage = await launcher.RunAsync("export");
            Assert.NotEqual(0, usage.ExitCode);
            Assert.Contains("./aisocial export [command] [options]", usage.Output);
            Assert.DoesNotContain("Starting PostgreSQL", usage.Error);
            Assert.Empty(PostgresServersIn(data.FullName));
        }
        finally
        {
            await launcher.RunAsync("down");
            data.Delete(recursive: true); // the cluster's files belong to postgres; these tests run as root
        }
    }

    // Published for this machine's runtime identifier: its own native libraries beside the app, no other platform's.
    private static void AssertPublishedForThisMachineOnly(string data)
    {
        var app = Path.Combine(data, "app");
        Assert.True(File.Exists(Path.Combine(app, "feed", "libSkiaSharp.so")), "Feed has no libSkiaSharp.so");
        foreach (var name in new[] { "console", "cli" })
        {
            Assert.True(File.Exists(Path.Combine(app, name, "libSkiaSharp.so")), $"{name} has no libSkiaSharp.so");
            Assert.True(File.Exists(Path.Combine(app, name, "libonnxruntime.so")), $"{name} has no libonnxruntime.so");
        }

        var foreign = Directory.EnumerateFiles(app, "*", SearchOption.AllDirectories)
            .Where(file => Path.GetExtension(file) is ".dylib" || (Path.GetExtension(file) is ".dll" && Path.GetFileName(file).StartsWith("lib", StringComparison.Ordinal))
                || file.Contains($"{Path.DirectorySeparatorChar}runtimes{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(app, file))
            .Take(5)
            .ToList();
        Assert.True(foreign.Count == 0, $"Published files for other platforms: {string.Join(", ", foreign)}");
    }

    /// <summary>Runs ./aisocial with this data directory and these ports (Feed, console, PostgreSQL).</summary>
    private sealed class Launcher(string dataDirectory, int[] ports)
    {
        public int FeedPort => ports[0];

        public int ConsolePort => ports[1];

        public int PostgresPort => ports[2];

        public async Task<CommandResult> RunAsync(params string[] arguments)
        {
            var start = new ProcessStartInfo(Path.Combine(RepositoryRoot.Path, "aisocial"), arguments)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            // Its own local cluster, never the test database ./aisocial test set up, nor a developer's media root.
            foreach (var name in new[] { "AISOCIAL_DB", "ConnectionStrings__aisocial", "AISOCIAL_TEST_DB", "AISOCIAL_MEDIA_ROOT", "Media__Root" })
            {
                start.Environment.Remove(name);
            }

            start.Environment["AISOCIAL_DATA"] = dataDirectory;
            start.Environment["AISOCIAL_FEED_PORT"] = FeedPort.ToString();
            start.Environment["AISOCIAL_CONSOLE_PORT"] = ConsolePort.ToString();
            start.Environment["AISOCIAL_PG_PORT"] = PostgresPort.ToString();

            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(UpLimit);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"./aisocial {string.Join(' ', arguments)} did not finish within {UpLimit}.");
            }

            // What it started in the background must not hold its output open.
            return new CommandResult(process.ExitCode, await output.WaitAsync(PortLimit), await error.WaitAsync(PortLimit));
        }
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    private static async Task<bool> AnswersAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task WaitUntilFreeAsync(Launcher launcher)
    {
        var deadline = DateTime.UtcNow + PortLimit;
        foreach (var (what, port) in new[] { ("PostgreSQL", launcher.PostgresPort), ("Feed", launcher.FeedPort), ("the console", launcher.ConsolePort) })
        {
            while (await AnswersAsync(port))
            {
                Assert.True(DateTime.UtcNow < deadline, $"Something still listens on {what}'s port 127.0.0.1:{port} after {PortLimit}.");
                await Task.Delay(200);
            }
        }
    }

    private static async Task WaitUntilHealthyAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + PortLimit;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // not listening yet, or not answering within the client's timeout: try again until the deadline
            }

            Assert.True(DateTime.UtcNow < deadline, $"http://127.0.0.1:{port}/health did not answer 200 within {PortLimit}.");
            await Task.Delay(200);
        }
    }

    /// <summary>Postmasters started on a cluster in this directory (their command line names it; their workers die with them).</summary>
    private static List<string> PostgresServersIn(string directory)
    {
        var servers = new List<string>();
        foreach (var process in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string[] arguments;
            try
            {
                arguments = File.ReadAllText(Path.Combine(process, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                continue; // it ended while we looked
            }

            if (arguments.Length > 0 && Path.GetFileName(arguments[0]) == "postgres" && arguments.Any(a => a.StartsWith(directory, StringComparison.Ordinal)))
            {
                servers.Add($"{Path.GetFileName(process)}: {string.Join(' ', arguments)}");
            }
        }

        return servers;
    }

    private static IEnumerable<string> PidFiles(string data) =>
        new[] { Path.Combine(data, "run"), Path.Combine(data, "pg") }
            .Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d, "*.pid"));
}
