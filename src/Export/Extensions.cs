using System.Reflection;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Database;
using AiSocial.Moderation;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace AiSocial.Export;

public static class Extensions
{
    public static readonly MigrationModule Migrations = new("export", 30, Assembly.GetExecutingAssembly());

    /// <summary>Dataset definitions, the exporter and run history.</summary>
    public static IHostApplicationBuilder AddExport(this IHostApplicationBuilder builder)
    {
        builder.AddModeration();
        var services = builder.Services;
        services.AddMigrations(Migrations);
        services.TryAddSingleton<ExportTelemetry>();
        services.TryAddSingleton<DatasetCatalog>();
        services.TryAddSingleton<DatasetExporter>();
        services.TryAddSingleton<ExportRuns>();
        return builder;
    }
}
