using System.Reflection;
using AiSocial.Ingest;
using AiSocial.Ingest.Database;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.HashBanks;
using AiSocial.Moderation.Models;
using AiSocial.Moderation.Models.Nsfw;
using AiSocial.Moderation.Models.Ocr;
using AiSocial.Moderation.Models.TextClassifier;
using AiSocial.Moderation.Policy;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Quartz;

namespace AiSocial.Moderation;

public static class Extensions
{
    public static readonly MigrationModule Migrations = new("moderation", 20, Assembly.GetExecutingAssembly());

    /// <summary>Checks, policy, scanner and review queue. The scan job itself is scheduled by whichever host runs Quartz.</summary>
    public static IHostApplicationBuilder AddModeration(this IHostApplicationBuilder builder)
    {
        builder.AddIngest();
        var services = builder.Services;
        services.AddMigrations(Migrations);
        services.AddOptions<ModerationOptions>().BindConfiguration(ModerationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<HashBank>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, HashBankCheck>());
        services.TryAddSingleton<PdqBankIndex>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, PdqHashBankCheck>());
        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.Section);
        services.TryAddSingleton(sp => ModelLoader<NsfwClassifier>(sp, NsfwClassifier.FromManifest));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, NsfwCheck>());
        services.TryAddSingleton(sp => ModelLoader<OcrEngine>(sp, OcrEngine.FromManifest));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, OcrCheck>());
        services.TryAddSingleton<CheckRunner>();
        services.TryAddSingleton<ModerationPolicy>();
        services.TryAddSingleton<SignalStore>();
        services.TryAddSingleton<LabelStore>();
        services.TryAddSingleton<ReviewQueue>();
        services.TryAddSingleton<PostScanner>();
        services.TryAddTransient<ScanJob>();
        builder.AddTextClassifier();
        return builder;
    }

    private static LoadedModel<T> ModelLoader<T>(IServiceProvider services, Func<ModelOptions, T> fromManifest)
        where T : class, IDisposable
    {
        var options = services.GetRequiredService<IOptions<ModelOptions>>().Value;
        return new LoadedModel<T>(() => fromManifest(options));
    }

    /// <summary>Schedules the scan job on a Quartz scheduler.</summary>
    public static IQuartzBuilder AddModerationJobs(this IQuartzBuilder quartz, IConfiguration configuration)
    {
        quartz.AddTextClassifierRetrain(configuration);
        var options = configuration.GetSection(ModerationOptions.Section).Get<ModerationOptions>() ?? new ModerationOptions();
        if (!options.RunScheduledScans)
        {
            return quartz;
        }

        quartz.ScheduleJob<ScanJob>(
            trigger => trigger.WithIdentity(ScanJob.TriggerKey)
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(options.ScanIntervalSeconds)).RepeatForever())
                .StartNow(),
            job => job.WithIdentity(ScanJob.Key).RequestRecovery());
        return quartz;
    }
}
