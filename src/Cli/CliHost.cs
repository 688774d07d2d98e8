using AiSocial.Export;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AiSocial.Cli;

/// <summary>The platform's services for one command, configured like the hosts (ConnectionStrings__aisocial, Media__Root, …) but not started.</summary>
public static class CliHost
{
    public static IHost Build(bool verbose = false)
    {
        var builder = OneShotHosts.CreateBuilder("aisocial-cli");
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);
        builder.AddTelemetry();
        builder.AddExport();
        var host = builder.Build();
        // The host is never started, so the providers are made here; disposing the host flushes what they hold.
        _ = host.Services.GetService<TracerProvider>();
        _ = host.Services.GetService<MeterProvider>();
        return host;
    }

    /// <summary>Runs a command body on the platform's services; a damaged file or an unreachable database is a one-line error.</summary>
    public static async Task<int> RunAsync(Func<IServiceProvider, Task<int>> body)
    {
        try
        {
            using var host = Build();
            return await body(host.Services);
        }
        catch (OptionsValidationException invalid)
        {
            // A setting the command needs is missing or wrong; the message names it.
            await Console.Error.WriteLineAsync($"error: {string.Join(" ", invalid.Failures)}");
            return 2;
        }
        catch (UnreadableFileException unreadable)
        {
            await Console.Error.WriteLineAsync($"error: {unreadable.Message}");
            return 2;
        }
        catch (Npgsql.NpgsqlException exception) when (exception.InnerException is System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"error: cannot reach PostgreSQL ({exception.InnerException.Message}). Is it running? `./aisocial up` starts it.");
            return 3;
        }
    }

    /// <summary>Reports a refused request as a one-line error; exit code 2.</summary>
    public static async Task<int> RefusedAsync(Refusal refusal)
    {
        await Console.Error.WriteLineAsync($"error: {refusal.Detail}");
        return 2;
    }
}
