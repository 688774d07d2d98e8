using AiSocial.Moderation.Checks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Quartz;

namespace AiSocial.Moderation.TextClassifier;

internal static class TextClassifierExtensions
{
    /// <summary>The registry, scorer, check and retrain job.</summary>
    public static IHostApplicationBuilder AddTextClassifier(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TextClassifierOptions>().BindConfiguration(TextClassifierOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<TextModelRegistry>();
        services.TryAddSingleton<TextClassifierScorer>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, TextClassifierCheck>());
        services.TryAddTransient<TextClassifierRetrainJob>();
        return builder;
    }

    /// <summary>Registers the retrain job (durable, so it can be fired on demand) and, unless switched off, its periodic check.</summary>
    public static IQuartzBuilder AddTextClassifierRetrain(this IQuartzBuilder quartz)
    {
        quartz.AddJob<TextClassifierRetrainJob>(job => job.WithIdentity(TextClassifierRetrainJob.Key).StoreDurably());
        quartz.AddConfiguredTrigger<TextClassifierRetrainJob>($"{TextClassifierOptions.Section}:{nameof(TextClassifierOptions.RunScheduledRetrain)}",
            (services, _) => Options(services).RunScheduledRetrain ? "on" : Extensions.QuartzSwitchedOff,
            (services, _, trigger) => trigger.ForJob(TextClassifierRetrainJob.Key)
                .WithIdentity(TextClassifierRetrainJob.TriggerKey)
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromMinutes(Options(services).RetrainCheckMinutes)).RepeatForever())
                .StartAt(DateTimeOffset.UtcNow.AddMinutes(1)));
        return quartz;
    }

    private static TextClassifierOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<TextClassifierOptions>>().Value;
}
