using AiSocial.Export;
using AiSocial.Ingest;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AiSocial.Cli;

/// <summary>The platform's services for one command, configured like the hosts (AISOCIAL_DB, Media__Root, …) but not started.</summary>
public static class CliHost
{
    public static IHost Build(bool verbose = false)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "aisocial-cli", Args = [] });
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);
        builder.AddExport();
        return builder.Build();
    }

    /// <summary>Runs a command body, turning a refused request or a damaged file into a one-line error and exit code 2.</summary>
    public static async Task<int> RunAsync(Func<IServiceProvider, Task<int>> body)
    {
        try
        {
            using var host = Build();
            return await body(host.Services);
        }
        catch (RequestRejectedException rejection)
        {
            await Console.Error.WriteLineAsync($"error: {rejection.Message}");
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
}
