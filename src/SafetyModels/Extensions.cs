using AiSocial.SafetyModels.Nsfw;
using AiSocial.SafetyModels.Ocr;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AiSocial.SafetyModels;

public static class Extensions
{
    /// <summary>The model options (<c>Models</c>) and the image models, each loaded on first use and shared.</summary>
    public static IHostApplicationBuilder AddSafetyModels(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(provider => Loader(provider, NsfwClassifier.FromManifest));
        services.TryAddSingleton(provider => Loader(provider, OcrEngine.FromManifest));
        return builder;
    }

    private static LoadedModel<T> Loader<T>(IServiceProvider services, Func<ModelOptions, T> fromManifest)
        where T : class, IDisposable
    {
        var options = services.GetRequiredService<IOptions<ModelOptions>>().Value;
        return new LoadedModel<T>(() => fromManifest(options));
    }
}
