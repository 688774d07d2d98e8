using AiSocial.Moderation.Checks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace AiSocial.Moderation.Models.TextClassifier;

public static class TextClassifierExtensions
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
    public static IQuartzBuilder AddTextClassifierRetrain(this IQuartzBuilder quartz, IConfiguration configuration)
    {
        var options = configuration.GetSection(TextClassifierOptions.Section).Get<TextClassifierOptions>() ?? new TextClassifierOptions();
        quartz.AddJob<TextClassifierRetrainJob>(job => job.WithIdentity(TextClassifierRetrainJob.Key).StoreDurably());
        if (options.RunScheduledRetrain)
        {
            quartz.AddTrigger<TextClassifierRetrainJob>(trigger => trigger.ForJob(TextClassifierRetrainJob.Key)
                .WithIdentity(TextClassifierRetrainJob.TriggerKey)
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromMinutes(options.RetrainCheckMinutes)).RepeatForever())
                .StartAt(DateTimeOffset.UtcNow.AddMinutes(1)));
        }

        return quartz;
    }
}
