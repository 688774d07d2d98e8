using System.Reflection;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Export.Storage;
using AiSocial.Export.Writing;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Database;
using AiSocial.Moderation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiSocial.Export;

public static class Extensions
{
    public static readonly MigrationModule Migrations = new("export", 30, Assembly.GetExecutingAssembly());

    /// <summary>Dataset specs, the runner that exports them, and run history.</summary>
    public static IHostApplicationBuilder AddExport(this IHostApplicationBuilder builder)
    {
        builder.AddModeration();
        var services = builder.Services;
        services.AddMigrations(Migrations);
        services.TryAddSingleton<ExportTelemetry>();
        services.AddOptions<ExportOptions>().BindConfiguration(ExportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<DatasetSpecs>();
        services.TryAddSingleton<DatasetWriter>();
        // With a connection string, runs are published to the Blob container too and their files served from it.
        if (!string.IsNullOrWhiteSpace(builder.Configuration[$"{BlobStorageOptions.Section}:{nameof(BlobStorageOptions.ConnectionString)}"]))
        {
            services.AddOptions<BlobStorageOptions>().BindConfiguration(BlobStorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
            services.AddSingleton<IValidateOptions<BlobStorageOptions>, BlobStorageOptionsValidation>();
            services.TryAddSingleton(services => new BlobRunStore(services.GetRequiredService<IOptions<BlobStorageOptions>>().Value));
        }

        services.TryAddSingleton(services => new ExportRunner(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<DatasetSpecs>(),
            services.GetRequiredService<DatasetWriter>(), services.GetRequiredService<AuditLog>(), services.GetRequiredService<ExportTelemetry>(),
            services.GetRequiredService<IOptions<ExportOptions>>(), services.GetService<IHostApplicationLifetime>(),
            services.GetService<IExportShardQueue>(), services.GetRequiredService<ILogger<ExportRunner>>(), services.GetService<BlobRunStore>()));
        services.TryAddSingleton<ExportRuns>();
        services.TryAddSingleton(services => new RunFiles(services.GetRequiredService<ExportRuns>(), services.GetService<BlobRunStore>()));
        services.TryAddSingleton<DatasetSchedules>();
        return builder;
    }
}
