using AiSocial.Export;
using AiSocial.ServiceDefaults;

namespace AiSocial.AdminConsole.Hosting;

/// <summary>
/// The console's headless mode (<c>AiSocial.AdminConsole worker</c>, run by <c>./aisocial worker</c>): the scheduler
/// and nothing else — no pages, no APIs, nothing listening. It joins the clustered Quartz store and leases posts from
/// the same outbox as every other node, so each worker started against the database adds scanning throughput, and one
/// that dies leaves its leases to expire for the others.
/// </summary>
internal static class WorkerHost
{
    public const string Command = "worker";

    public static bool IsRequested(string[] args) => args is [Command, ..];

    public static async Task RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args[1..]);
        // A missing dependency fails at start-up, not at the first firing that needs it.
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
        builder.AddTelemetry();
        builder.AddExport();
        builder.AddScheduler();
        using var host = builder.Build();
        await host.RunAsync();
    }
}
