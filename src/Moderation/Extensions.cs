using System.Reflection;
using AiSocial.Ingest;
using AiSocial.Ingest.Database;
using AiSocial.Moderation.Calibration;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.ContentSafety;
using AiSocial.Moderation.HashBanks;
using AiSocial.Moderation.OpenAI;
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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, CreatorRightsCheck>());
        services.TryAddSingleton<ImageReveals>();
        services.TryAddSingleton<CalibrationReports>();
        builder.AddOpenAiModeration();
        services.TryAddSingleton<CheckRunner>();
        services.TryAddSingleton<PolicyStore>();
        services.TryAddSingleton<SignalStore>();
        services.TryAddSingleton<LabelStore>();
        services.TryAddSingleton<ReviewQueue>();
        services.TryAddSingleton<PostScanner>();
        services.TryAddTransient<ScanJob>();
        builder.AddTextClassifier();
        builder.AddPromptGate();
        builder.AddContentSafety();
        return builder;
    }

    /// <summary>The prompt gate and its checks, in the order they run: creators' opt-outs, the blocklist, then the in-house text classifier.</summary>
    private static void AddPromptGate(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PromptGateOptions>().BindConfiguration(PromptGateOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<PromptBlocklist>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPromptCheck, CreatorOptOutPromptCheck>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPromptCheck, BlocklistPromptCheck>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPromptCheck, TextClassifierPromptCheck>());
        services.TryAddSingleton(provider => new PromptGate(provider.GetServices<IPromptCheck>()));
    }

    /// <summary>The most scan slots <see cref="ModerationOptions.ScanSlots"/> may ask for (each is a trigger in the store).</summary>
    internal const int MaxScanSlots = 32;

    /// <summary>
    /// The moderation jobs on a Quartz scheduler: the scan job every <see cref="ModerationOptions.ScanIntervalSeconds"/>
    /// (unless <see cref="ModerationOptions.RunScheduledScans"/> is off, which also unschedules a stored trigger) and
    /// the text classifier's retraining, and, when Content Safety is configured, its blocklist sync. The scan job has one
    /// trigger per scan slot, staggered over the interval: a clustered node that fires a trigger tends to take its next
    /// firing too, so with a single trigger one node would do all the scanning; with several, every node that asks for
    /// work gets firings, and each scans its own leases.
    /// </summary>
    public static IQuartzBuilder AddModerationJobs(this IQuartzBuilder quartz)
    {
        quartz.AddTextClassifierRetrain();
        quartz.AddContentSafetyBlocklistSync();
        quartz.AddJob<ScanJob>(job => job.WithIdentity(ScanJob.Key).RequestRecovery());
        for (var slot = 0; slot < MaxScanSlots; slot++)
        {
            var index = slot;
            quartz.AddConfiguredTrigger<ScanJob>($"{ModerationOptions.Section}:{nameof(ModerationOptions.RunScheduledScans)}",
                (services, _) => Options(services).RunScheduledScans && index < Options(services).ScanSlots ? "on" : QuartzSwitchedOff,
                (services, _, trigger) =>
                {
                    var interval = TimeSpan.FromSeconds(Options(services).ScanIntervalSeconds);
                    trigger.ForJob(ScanJob.Key).WithIdentity(ScanJob.TriggerKeyOf(index))
                        .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever())
                        .StartAt(DateTimeOffset.UtcNow + interval * index / Math.Max(1, Options(services).ScanSlots));
                });
        }

        return quartz;
    }

    /// <summary>What <see cref="QuartzBuilderExtensions.AddConfiguredTrigger{TJob}"/> takes to mean "not scheduled".</summary>
    internal const string QuartzSwitchedOff = "-";

    private static ModerationOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<ModerationOptions>>().Value;
}
