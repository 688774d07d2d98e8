using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using AiSocial.Testing;

namespace AiSocial.Cli.Tests;

public sealed class TelemetryExportTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    [Fact]
    public async Task With_an_OTLP_endpoint_set_a_command_sends_its_traces_and_metrics_there_before_it_exits()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var collector = new HttpListener { Prefixes = { $"http://127.0.0.1:{port}/" } };
        collector.Start();
        var received = new ConcurrentBag<string>();
        var receiving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                var context = await collector.GetContextAsync();
                received.Add($"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath}");
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        var result = await CommandLine.RunAsync(platform, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        }, "export", "list");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("POST /v1/traces", received);
        Assert.Contains("POST /v1/metrics", received);
        collector.Stop();
        await Assert.ThrowsAnyAsync<Exception>(() => receiving);
    }
}
