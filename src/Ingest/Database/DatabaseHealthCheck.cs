using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiSocial.Ingest.Database;

/// <summary>Ready means: the database answers and every shipped migration is applied.</summary>
internal sealed class DatabaseHealthCheck(MigrationRunner runner) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var pending = await runner.PendingAsync(cancellationToken);
            return pending.Count == 0
                ? HealthCheckResult.Healthy("database reachable, migrations applied")
                : HealthCheckResult.Unhealthy($"{pending.Count} migration(s) not applied, first {pending[0].Module}/{pending[0].Name}");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("database unreachable or journal mismatch", exception);
        }
    }
}
