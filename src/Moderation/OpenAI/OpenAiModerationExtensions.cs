using AiSocial.Moderation.Checks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace AiSocial.Moderation.OpenAI;

internal static class OpenAiModerationExtensions
{
    /// <summary>
    /// The omni-moderation check, only where <c>Moderation:OpenAI:Endpoint</c> or <c>Key</c> is configured: an
    /// unconfigured outside service is absent, so <c>up</c> and the tests work offline.
    /// </summary>
    public static void AddOpenAiModeration(this IHostApplicationBuilder builder)
    {
        // Whether it exists at all is decided here, like the OTLP exporter's; everything else is bound and validated below.
        const string Section = OpenAiModerationOptions.Section;
        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{Section}:{nameof(OpenAiModerationOptions.Endpoint)}"])
            && string.IsNullOrWhiteSpace(builder.Configuration[$"{Section}:{nameof(OpenAiModerationOptions.Key)}"]))
        {
            return;
        }

        builder.Services.AddOptions<OpenAiModerationOptions>().BindConfiguration(OpenAiModerationOptions.Section).ValidateDataAnnotations()
            .Validate(options => !string.IsNullOrWhiteSpace(options.Key),
                $"{OpenAiModerationOptions.Section}:Key is not set: OpenAI moderation is configured (an endpoint is given) but has no API key.")
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostCheck, OpenAiModerationCheck>());
    }
}
