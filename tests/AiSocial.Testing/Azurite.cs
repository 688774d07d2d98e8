using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AiSocial.Testing;

/// <summary>
/// Azurite's Blob service (Microsoft's Azure Storage emulator, from the npm packages <c>./aisocial</c> installs) on a
/// loopback port, keeping its blobs in a temporary directory, for the life of the fixture: the tests publish to it as the platform would to Azure.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    /// <summary>The emulator's fixed development account, as Azurite documents it.</summary>
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _workspace;

    private Azurite(Process process, string workspace, int port)
    {
        _process = process;
        _workspace = workspace;
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};BlobEndpoint=http://127.0.0.1:{port}/{Account};";
    }

    public string ConnectionString { get; }

    public static async Task<Azurite> StartAsync()
    {
        var script = Path.Combine(NodeTools.NodeModules, "azurite", "dist", "src", "blob", "main.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"{script} is missing: run the tests with ./aisocial test, which installs the pinned npm packages.");
        }

        // A port that was free a moment ago; another process taking it in between shows as Azurite exiting, and is retried.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var workspace = Directory.CreateTempSubdirectory("aisocial-azurite-").FullName;
            var start = new ProcessStartInfo("node",
                [script, "--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--location", workspace, "--skipApiVersionCheck", "--disableTelemetry", "--loose"])
            {
                WorkingDirectory = workspace,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var process = Process.Start(start)!;
            var listening = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, line) =>
            {
                if (line.Data?.Contains("successfully listen", StringComparison.OrdinalIgnoreCase) == true)
                {
                    listening.TrySetResult(true);
                }
            };
            var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
            process.ErrorDataReceived += (_, line) =>
            {
                if (line.Data is not null)
                {
                    errors.Enqueue(line.Data);
                }
            };
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => listening.TrySetResult(false);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (await listening.Task.WaitAsync(TimeSpan.FromMinutes(2)))
            {
                return new Azurite(process, workspace, port);
            }

            Directory.Delete(workspace, recursive: true);
            if (attempt == 3)
            {
                throw new InvalidOperationException($"Azurite did not start: {string.Join('\n', errors)}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_workspace, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
