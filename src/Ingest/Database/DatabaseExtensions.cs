using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiSocial.Ingest.Database;

public static class DatabaseExtensions
{
    /// <summary>One shared data source, the migration runner (run at start-up) and the readiness check.</summary>
    public static IHostApplicationBuilder AddAiSocialDatabase(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(DatabaseConnection.Normalize(options.ConnectionString!));
            dataSourceBuilder.ConnectionStringBuilder.ApplicationName ??= builder.Environment.ApplicationName;
            DatabaseConnection.PrepareRepeatedStatements(dataSourceBuilder.ConnectionStringBuilder, options.ConnectionString!);
            return dataSourceBuilder.Build();
        });
        services.TryAddSingleton<MigrationRunner>();
        if (!services.Any(d => d.ImplementationType == typeof(MigrationsAtStartup)))
        {
            services.AddHostedService<MigrationsAtStartup>();
        }

        if (!services.Any(d => d.ServiceType == typeof(DatabaseHealthCheck)))
        {
            services.AddSingleton<DatabaseHealthCheck>();
            services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        }

        return builder;
    }

    /// <summary>Registers a module's scripts with the runner.</summary>
    public static IServiceCollection AddMigrations(this IServiceCollection services, MigrationModule module)
    {
        if (!services.Any(d => d.ServiceType == typeof(MigrationModule) && Equals(d.ImplementationInstance, module)))
        {
            services.AddSingleton(module);
        }

        return services;
    }
}
