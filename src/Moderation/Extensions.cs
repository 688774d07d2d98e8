using System.Reflection;
using AiSocial.Ingest;
using AiSocial.Ingest.Database;
using AiSocial.Moderation.Calibration;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.HashBanks;
using AiSocial.Moderation.Policy;
using AiSocial.Moderation.Prompts;
using AiSocial.Moderation.Protections;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using AiSocial.Moderation.TextClassifier;
using AiSocial.SafetyModels;
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
        builder.AddSafetyModels();
        var services = builder.Services;
        services.AddMigrations(Migrations);
        services.AddOptions<ModerationOptions>().BindConfiguration(ModerationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<ModerationTelemetry>();
        services.TryAddSingleton<HashBank>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, HashBankCheck>());
        services.TryAddSingleton<PdqBankIndex>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, PdqHashBankCheck>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, NsfwCheck>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, OcrCheck>());
        services.TryAddSingleton<MinorSafetyTerms>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, MinorSafetyCheck>());
        services.TryAddSingleton<ImageReveals>();
        services.TryAddSingleton<CalibrationReports>();
        services.TryAddSingleton<CheckRunner>();
        services.TryAddSingleton<PolicyStore>();
        services.TryAddSingleton<SignalStore>();
        services.TryAddSingleton<LabelStore>();
        services.TryAddSingleton<ReviewQueue>();
        services.TryAddSingleton<PostScanner>();
        services.TryAddTransient<ScanJob>();
        builder.AddTextClassifier();
        builder.AddPromptGate();
        return builder;
    }

    /// <summary>The prompt gate and its checks, in the order they run: the blocklist, then the in-house text classifier.</summary>
    private static void AddPromptGate(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PromptGateOptions>().BindConfiguration(PromptGateOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<PromptBlocklist>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPromptCheck, BlocklistPromptCheck>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPromptCheck, TextClassifierPromptCheck>());
        services.TryAddSingleton(provider => new PromptGate(provider.GetServices<IPromptCheck>()));
    }

    /// <summary>
    /// The moderation jobs on a Quartz scheduler: the scan job every <see cref="ModerationOptions.ScanIntervalSeconds"/>
    /// (unless <see cref="ModerationOptions.RunScheduledScans"/> is off, which also unschedules a stored trigger) and
    /// the text classifier's retraining.
    /// </summary>
    public static IQuartzBuilder AddModerationJobs(this IQuartzBuilder quartz)
    {
        quartz.AddTextClassifierRetrain();
        quartz.AddJob<ScanJob>(job => job.WithIdentity(ScanJob.Key).RequestRecovery());
        quartz.AddConfiguredTrigger<ScanJob>($"{ModerationOptions.Section}:{nameof(ModerationOptions.RunScheduledScans)}",
            (services, _) => Options(services).RunScheduledScans ? "on" : QuartzSwitchedOff,
            (services, _, trigger) => trigger.ForJob(ScanJob.Key).WithIdentity(ScanJob.TriggerKey)
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(Options(services).ScanIntervalSeconds)).RepeatForever())
                .StartNow());
        return quartz;
    }

    /// <summary>What <see cref="QuartzBuilderExtensions.AddConfiguredTrigger{TJob}"/> takes to mean "not scheduled".</summary>
    internal const string QuartzSwitchedOff = "-";

    private static ModerationOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<ModerationOptions>>().Value;
}
