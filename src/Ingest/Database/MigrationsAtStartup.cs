using Microsoft.Extensions.Hosting;

namespace AiSocial.Ingest.Database;

/// <summary>Migrates before the host starts serving; a changed applied script stops start-up.</summary>
internal sealed class MigrationsAtStartup(MigrationRunner runner) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => runner.ApplyAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
