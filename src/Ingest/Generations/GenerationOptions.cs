using System.ComponentModel.DataAnnotations;

namespace AiSocial.Ingest.Generations;

/// <summary>Image generation (<c>Generation</c>): the quota, the sizes people may ask for, and the OpenAI-compatible generator.</summary>
internal sealed record GenerationOptions
{
    public const string Section = "Generation";

    /// <summary>Images one account may generate in any 24 hours; failed attempts are not counted.</summary>
    [Range(0, 1_000_000)]
    public int DailyQuota { get; init; } = 50;

    /// <summary>The sizes a request may name (<c>WIDTHxHEIGHT</c>); unset: 256x256, 512x512 and 1024x1024.</summary>
    public string[]? Sizes { get; init; }

    /// <summary>The offline renderer's size when a request names none.</summary>
    public string OfflineSize { get; init; } = "512x512";

    public OpenAiGeneratorOptions OpenAI { get; init; } = new();

    internal IReadOnlyList<string> AllowedSizes => Sizes is { Length: > 0 } sizes ? sizes : ["256x256", "512x512", "1024x1024"];

    /// <summary>Why these settings cannot work, or null when they can.</summary>
    internal string? Problem()
    {
        if (AllowedSizes.FirstOrDefault(s => ImageSize.Parse(s) is null) is { } bad)
        {
            return $"Generation:Sizes has '{bad}', which is not WIDTHxHEIGHT with sides from 64 to 4096 px.";
        }

        if (!AllowedSizes.Contains(OfflineSize))
        {
            return $"Generation:OfflineSize '{OfflineSize}' is not one of Generation:Sizes.";
        }

        if (OpenAI.IsConfigured && !AllowedSizes.Contains(OpenAI.Size))
        {
            return $"Generation:OpenAI:Size '{OpenAI.Size}' is not one of Generation:Sizes.";
        }

        return OpenAI.TimeoutSeconds is < 1 or > 600 ? "Generation:OpenAI:TimeoutSeconds must be from 1 to 600." : null;
    }
}

/// <summary>
/// An OpenAI-compatible Images API (<c>Generation:OpenAI</c>). With no <see cref="Key"/> the offline renderer draws
/// the images instead, so the platform works without network access.
/// </summary>
internal sealed record OpenAiGeneratorOptions
{
    /// <summary>The API's base address, such as <c>https://api.openai.com/v1</c> (the SDK's default when unset).</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The API key; from the environment (<c>Generation__OpenAI__Key</c>), never from the repository.</summary>
    public string? Key { get; init; }

    /// <summary>The model used when a request names none.</summary>
    public string Model { get; init; } = "gpt-image-1";

    /// <summary>Further models a request may name.</summary>
    public string[]? Models { get; init; }

    /// <summary>The size used when a request names none.</summary>
    public string Size { get; init; } = "1024x1024";

    /// <summary>Ask for the image inline (<c>response_format=b64_json</c>); models that always answer inline refuse the parameter.</summary>
    public bool RequestBase64 { get; init; } = true;

    /// <summary>How long one generation may take before it is given up as timed out.</summary>
    public int TimeoutSeconds { get; init; } = 120;

    internal bool IsConfigured => !string.IsNullOrWhiteSpace(Key);
}

/// <summary>An image's width and height, written <c>WIDTHxHEIGHT</c>.</summary>
internal sealed record ImageSize(int Width, int Height)
{
    public static ImageSize? Parse(string? text)
    {
        var parts = text?.Split('x') ?? [];
        return parts.Length == 2
               && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var width)
               && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var height)
               && width is >= 64 and <= 4096 && height is >= 64 and <= 4096
            ? new ImageSize(width, height)
            : null;
    }

    public override string ToString() => $"{Width}x{Height}";
}
