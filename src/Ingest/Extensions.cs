using System.Reflection;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Creators;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Events;
using AiSocial.Ingest.Generations;
using AiSocial.Ingest.Media;
using AiSocial.Ingest.Outbox;
using AiSocial.Ingest.Posts;
using AiSocial.Ingest.Social;
using AiSocial.Ingest.Timelines;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
        services.TryAddSingleton<AccountErasure>();
        services.TryAddSingleton<StaffSessions>();
        services.TryAddSingleton<AuditLog>();
        services.TryAddSingleton<ImageInspector>();
        services.TryAddSingleton<MediaStore>();
        services.TryAddSingleton<MediaSweeper>();
        services.TryAddSingleton<MediaAccess>();
        services.TryAddSingleton<PostStore>();
        services.TryAddSingleton<PostSubmissions>();
        services.TryAddSingleton<PostLineage>();
        services.TryAddSingleton<PostEditor>();
        services.TryAddSingleton<PromptAudience>();
        services.TryAddSingleton<OutboxQueue>();
        services.TryAddSingleton<ConsentLedger>();
        services.TryAddSingleton<TermsCatalog>();
        services.TryAddSingleton<PostTraining>();
        services.TryAddSingleton<CreatorOptOuts>();
        builder.AddGenerations();

        // Interactions, relationships, notifications and reports.
        services.TryAddSingleton<PostInteractions>();
        services.TryAddSingleton<PostComments>();
        services.TryAddSingleton<Relationships>();
        services.TryAddSingleton<NotificationInbox>();
        services.TryAddSingleton<UserReports>();

        // Interaction events: one group-commit writer per process, its partitions, the rollup and the key purge.
        services.AddOptions<EventOptions>().BindConfiguration(EventOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<EventPartitions>();
        // AddIngest runs once for each module that needs it; the writer and its loop are registered the first time only.
        if (services.All(d => d.ServiceType != typeof(EventWriter)))
        {
            services.AddSingleton<EventWriter>();
            services.AddHostedService(provider => provider.GetRequiredService<EventWriter>());
        }

        services.TryAddSingleton<EventRecorder>();
        services.TryAddSingleton<EventRollup>();
        services.TryAddSingleton<IdempotencyKeyPurge>();

        // Timelines
        services.AddOptions<TimelineOptions>().BindConfiguration(TimelineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<TimelineReader>();
        services.TryAddSingleton<TrendingRanker>();
        return builder;
    }

    /// <summary>Image generation: through the OpenAI-compatible API when a key is configured, else the offline renderer.</summary>
    private static void AddGenerations(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GenerationOptions>().BindConfiguration(GenerationOptions.Section).ValidateDataAnnotations()
            .Validate(options => options.Problem() is null,
                "The Generation settings do not fit together: check Sizes, OfflineSize, OpenAI:Size and OpenAI:TimeoutSeconds (1-600).")
            .ValidateOnStart();
        services.TryAddSingleton<IImageGenerator>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<GenerationOptions>>().Value;
            return options.OpenAI.IsConfigured
                ? new OpenAiImageGenerator(options.OpenAI, provider.GetRequiredService<ILogger<OpenAiImageGenerator>>())
                : new OfflineRenderer(options.OfflineSize);
        });
        services.TryAddSingleton(provider => new ImageGenerations(provider.GetRequiredService<Npgsql.NpgsqlDataSource>(),
            provider.GetRequiredService<IImageGenerator>(), provider.GetRequiredService<MediaStore>(), provider.GetRequiredService<ImageInspector>(),
            provider.GetRequiredService<IOptions<GenerationOptions>>(), provider.GetRequiredService<ILogger<ImageGenerations>>()));
    }
}
