using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using AiSocial.Moderation.Checks;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Moderations;
using SkiaSharp;

namespace AiSocial.Moderation.OpenAI;

/// <summary>
/// OpenAI's omni-moderation on a post: one request with every text the post carries (prompt, caption, alt text and
/// the text OCR found in the image) and the image itself as a <c>data:</c> URL, through the SDK's
/// <see cref="ModerationClient"/>. Every category the service scores becomes a signal under its own key, unknown keys
/// included; whether the service flagged it goes in the detail. Optional by default: it adds an opinion, and its
/// outage never holds a post on its own. Any failure (an error status, a hang, an answer without scores) throws, so
/// the runner records the check as unavailable — never as a low score.
/// </summary>
internal sealed class OpenAiModerationCheck : IPostCheck
{
    public const string SourceName = "openai";
    public const string ChecksKey = "OpenAI";

    private readonly OpenAiModerationOptions _options;
    private readonly ModerationClient _client;

    public OpenAiModerationCheck(IOptions<OpenAiModerationOptions> options)
    {
        _options = options.Value;
        var client = new OpenAIClientOptions
        {
            // The scanner retries the whole post later; retrying inside one attempt would only outlast the check's timeout.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromSeconds(_options.TimeoutSeconds),
        };
        if (_options.Endpoint is { } endpoint)
        {
            client.Endpoint = endpoint;
        }

        _client = new ModerationClient(_options.Model, new ApiKeyCredential(_options.Key!), client);
    }

    public string Source => SourceName;

    public string SettingsKey => ChecksKey;

    // It reads the image, but also the text OCR finds in it, so it runs with the text checks, after the image models.
    public CheckReads Reads => CheckReads.Image | CheckReads.Text;

    public bool Required => false;

    public TimeSpan Timeout => TimeSpan.FromSeconds(_options.TimeoutSeconds);

    public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        ClientResult<ModerationResult> answer;
        try
        {
            answer = await ClassifyAsync(subject, cancellationToken);
        }
        catch (ClientResultException failure) when (failure.Status != 0)
        {
            throw new OpenAiModerationUnavailableException($"the moderation API answered {failure.Status}{ErrorCodeOf(failure)}", failure);
        }
        catch (Exception failure) when (failure is ArgumentException or InvalidOperationException or FormatException or JsonException)
        {
            // The SDK reads the body before handing it over; a body it cannot read is no answer.
            throw new OpenAiModerationUnavailableException($"the moderation API's answer could not be read ({failure.GetType().Name})", failure);
        }

        return SignalsOf(answer.GetRawResponse().Content, _options.Model);
    }

    // The multi-modal input is marked experimental in the SDK (OPENAI001); it is the only way to send an image, which is
    // the point of omni-moderation here, and a change to it breaks the build on upgrade rather than the scans.
#pragma warning disable OPENAI001
    private Task<ClientResult<ModerationResult>> ClassifyAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var parts = new List<ModerationInputPart>(2);
        var text = string.Join("\n\n", subject.Texts.Select(t => t.Text.Trim()).Where(t => t.Length > 0));
        if (text.Length > 0)
        {
            parts.Add(ModerationInputPart.CreateTextPart(text));
        }

        parts.Add(ModerationInputPart.CreateImagePart(ImageDataUrl(subject)));
        return _client.ClassifyInputsAsync(parts, cancellationToken);
    }
#pragma warning restore OPENAI001

    /// <summary>The image as a <c>data:</c> URL: the stored file as it is, or a smaller JPEG when it is too large to send.</summary>
    private Uri ImageDataUrl(CheckSubject subject)
    {
        var bytes = subject.ImageBytes;
        var mediaType = MediaTypeOf(bytes);
        if (mediaType is null || bytes.Length > _options.MaxImageBytes)
        {
            (bytes, mediaType) = (Shrunk(subject.Image, _options.MaxImageSide), "image/jpeg");
        }

        return new Uri($"data:{mediaType};base64,{Convert.ToBase64String(bytes)}");
    }

    private static string? MediaTypeOf(ReadOnlySpan<byte> bytes) => bytes switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "image/webp",
        _ => null,
    };

    private static byte[] Shrunk(SKBitmap image, int maxSide)
    {
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(image.Width, image.Height));
        var info = new SKImageInfo(Math.Max(1, (int)Math.Round(image.Width * scale)), Math.Max(1, (int)Math.Round(image.Height * scale)),
            SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var scaled = image.Resize(info, new SKSamplingOptions(SKCubicResampler.Mitchell))
                           ?? throw new OpenAiModerationUnavailableException("the image could not be scaled to send");
        using var encoded = scaled.Encode(SKEncodedImageFormat.Jpeg, 90);
        return encoded.ToArray();
    }

    /// <summary>
    /// One signal per category key the service scored, read from the body itself so keys the SDK does not know yet
    /// are kept too; where the body holds several results the highest score counts.
    /// </summary>
    internal static IReadOnlyList<Signal> SignalsOf(BinaryData body, string configuredModel)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } named
            ? named
            : configuredModel;
        if (!root.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
        {
            throw new OpenAiModerationUnavailableException("the moderation API answered without results");
        }

        var categories = new Dictionary<string, (double Score, bool Flagged, HashSet<string> InputTypes)>(StringComparer.Ordinal);
        foreach (var result in results.EnumerateArray())
        {
            if (!result.TryGetProperty("category_scores", out var scores) || scores.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var score in scores.EnumerateObject())
            {
                if (score.Value.ValueKind != JsonValueKind.Number)
                {
                    continue;
                }

                var flagged = result.TryGetProperty("categories", out var flags) && flags.ValueKind == JsonValueKind.Object
                              && flags.TryGetProperty(score.Name, out var flag) && flag.ValueKind == JsonValueKind.True;
                var known = categories.GetValueOrDefault(score.Name, (0, false, new HashSet<string>(StringComparer.Ordinal)));
                if (result.TryGetProperty("category_applied_input_types", out var applied) && applied.ValueKind == JsonValueKind.Object
                    && applied.TryGetProperty(score.Name, out var types) && types.ValueKind == JsonValueKind.Array)
                {
                    known.InputTypes.UnionWith(types.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!));
                }

                categories[score.Name] = (Math.Max(known.Score, Math.Clamp(score.Value.GetDouble(), 0, 1)), known.Flagged || flagged, known.InputTypes);
            }
        }

        if (categories.Count == 0)
        {
            throw new OpenAiModerationUnavailableException("the moderation API answered without category scores");
        }

        return [.. categories.Select(c => new Signal(SourceName, model, c.Key, c.Value.Score,
            JsonSerializer.SerializeToElement(new { flagged = c.Value.Flagged, inputTypes = c.Value.InputTypes.Order(StringComparer.Ordinal) })))];
    }

    private static string ErrorCodeOf(ClientResultException failure)
    {
        try
        {
            if (failure.GetRawResponse()?.Content is { } content && JsonDocument.Parse(content).RootElement is { ValueKind: JsonValueKind.Object } body
                && body.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String)
            {
                return $" ({code.GetString()})";
            }
        }
        catch (JsonException)
        {
        }

        return "";
    }
}

/// <summary>Why the moderation API gave no usable answer; the runner records the message as the reason the check was unavailable.</summary>
internal sealed class OpenAiModerationUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
