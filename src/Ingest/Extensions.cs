using System.Reflection;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Media;
using AiSocial.Ingest.Outbox;
using AiSocial.Ingest.Posts;
using AiSocial.Ingest.Timelines;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace AiSocial.Ingest;

public static class Extensions
{
    public static readonly MigrationModule Migrations = new("ingest", 10, Assembly.GetExecutingAssembly());

    /// <summary>The system of record: database, migrations, accounts, tokens, media, posts, outbox, consent, audit.</summary>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.AddAiSocialDatabase();
        var services = builder.Services;
        services.AddMigrations(Migrations);
        services.AddOptions<MediaOptions>().BindConfiguration(MediaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
        services.TryAddSingleton<IngestTelemetry>();
        services.TryAddSingleton<AccountRegistry>();
        services.TryAddSingleton<AccessTokens>();
        services.AddOptions<SignInThrottleOptions>().BindConfiguration(SignInThrottleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<SignIns>();
        services.TryAddSingleton<StaffSessions>();
        services.TryAddSingleton<AuditLog>();
        services.TryAddSingleton<ImageInspector>();
        services.TryAddSingleton<MediaStore>();
        services.TryAddSingleton<MediaSweeper>();
        services.TryAddSingleton<MediaAccess>();
        services.TryAddSingleton<PostStore>();
        services.TryAddSingleton<PostSubmissions>();
        services.TryAddSingleton<OutboxQueue>();
        services.TryAddSingleton<ConsentLedger>();

        // Timelines
        services.AddOptions<TimelineOptions>().BindConfiguration(TimelineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<TimelineReader>();
        services.TryAddSingleton<TrendingRanker>();
        return builder;
    }
}
