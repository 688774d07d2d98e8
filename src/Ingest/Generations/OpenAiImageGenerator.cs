using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using AiSocial.Problems;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Images;

namespace AiSocial.Ingest.Generations;

/// <summary>
/// Generates through an OpenAI-compatible Images API (<c>POST {endpoint}/images/generations</c>) with the official SDK.
/// Each way the provider can fail becomes a refusal that says so: it refused the prompt (422), it is rate-limited (503
/// with its <c>Retry-After</c>), it failed (502), or it did not answer within the timeout (504). The SDK does not retry:
/// the person asking decides whether to try again.
/// </summary>
internal sealed class OpenAiImageGenerator : IImageGenerator
{
    public const string GeneratorName = "openai";

    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(30);

    private readonly OpenAiGeneratorOptions _options;
    private readonly OpenAIClientOptions _clientOptions;
    private readonly ILogger<OpenAiImageGenerator> _logger;
    private readonly ConcurrentDictionary<string, ImageClient> _clients = new(StringComparer.Ordinal);

    public OpenAiImageGenerator(OpenAiGeneratorOptions options, ILogger<OpenAiImageGenerator> logger)
    {
        _options = options;
        _logger = logger;
        _clientOptions = new OpenAIClientOptions
        {
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
        };
        if (options.Endpoint is { } endpoint)
        {
            _clientOptions.Endpoint = endpoint;
        }
    }

    public string Name => GeneratorName;

    public bool IsTrainedModel => true;

    public string DefaultModel => _options.Model;

    public IReadOnlyList<string> Models => [_options.Model, .. (_options.Models ?? []).Where(m => m != _options.Model)];

    public string DefaultSize => _options.Size;

    public async Task<Outcome<GeneratedPicture>> GenerateAsync(ImageRequest request, CancellationToken cancellationToken)
    {
        var client = _clients.GetOrAdd(request.Model, model => new ImageClient(model, new ApiKeyCredential(_options.Key!), _clientOptions));
        var generation = new ImageGenerationOptions { Size = new GeneratedImageSize(request.Size.Width, request.Size.Height) };
        if (_options.RequestBase64)
        {
            generation.ResponseFormat = GeneratedImageFormat.Bytes;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        GeneratedImage image;
        try
        {
            image = (await client.GenerateImageAsync(request.Prompt, generation, timeout.Token)).Value;
        }
        catch (ClientResultException failure) when (failure.Status != 0)
        {
            return Refused(failure);
        }
        catch (Exception failure) when (!cancellationToken.IsCancellationRequested
                                        && (timeout.IsCancellationRequested || failure is OperationCanceledException or TimeoutException
                                            || failure.InnerException is OperationCanceledException or TimeoutException))
        {
            _logger.LogWarning("The image generator at {Endpoint} did not answer within {Seconds} s", _clientOptions.Endpoint, _options.TimeoutSeconds);
            return new Refusal(IngestProblems.GeneratorTimeout,
                $"The image generator did not answer within {_options.TimeoutSeconds} s. Nothing was made or counted; try again.");
        }
        catch (Exception failure) when (failure is ClientResultException or HttpRequestException)
        {
            _logger.LogWarning(failure, "The image generator at {Endpoint} could not be reached", _clientOptions.Endpoint);
            return new Refusal(IngestProblems.GeneratorFailed, "The image generator could not be reached. Nothing was made or counted; try again later.");
        }

        if (image.ImageBytes is not { } bytes || bytes.ToMemory().Length == 0)
        {
            return new Refusal(IngestProblems.GeneratorFailed, "The image generator answered without an image. Nothing was made or counted.");
        }

        var parameters = new Dictionary<string, object?>
        {
            ["responseFormat"] = _options.RequestBase64 ? "b64_json" : null,
            // The Images API takes neither: the seed is recorded for the post, the negative prompt kept with it, neither sent.
            ["seedApplied"] = false,
            ["negativePromptApplied"] = false,
        };
        return new GeneratedPicture(bytes.ToArray(), string.IsNullOrWhiteSpace(image.RevisedPrompt) ? null : image.RevisedPrompt, parameters);
    }

    private Refusal Refused(ClientResultException failure)
    {
        var response = failure.GetRawResponse();
        var (code, message) = ErrorOf(response);
        switch (failure.Status)
        {
            case 400 when code is "content_policy_violation" or "moderation_blocked":
                return new Refusal(IngestProblems.PromptRefused,
                    $"The image provider refused this prompt under its content policy{(message is null ? "" : $": {message}")}")
                {
                    Extensions = new Dictionary<string, object?> { ["rule"] = "provider-content-policy", ["providerCode"] = code },
                };
            case 429:
                return new Refusal(IngestProblems.GeneratorBusy,
                    "The image provider is rate-limiting this platform. Nothing was made or counted; try again after Retry-After.")
                {
                    RetryAfter = RetryAfter(response) ?? DefaultRetryAfter,
                };
            default:
                _logger.LogWarning("The image generator answered {Status} ({Code}): {Message}", failure.Status, code, message);
                return new Refusal(IngestProblems.GeneratorFailed,
                    $"The image provider answered {failure.Status}{(code is null ? "" : $" ({code})")}. Nothing was made or counted; try again later.");
        }
    }

    /// <summary>The <c>error.code</c> and <c>error.message</c> of an OpenAI error body, when it has them.</summary>
    private static (string? Code, string? Message) ErrorOf(PipelineResponse? response)
    {
        try
        {
            if (response?.Content is { } content && JsonDocument.Parse(content.ToMemory()).RootElement is { ValueKind: JsonValueKind.Object } body
                && body.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                return (Text(error, "code"), Text(error, "message"));
            }
        }
        catch (JsonException)
        {
        }

        return (null, null);

        static string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>The provider's <c>retry-after</c> (seconds or an HTTP date), or <c>retry-after-ms</c>.</summary>
    private static TimeSpan? RetryAfter(PipelineResponse? response)
    {
        if (response is null)
        {
            return null;
        }

        if (response.Headers.TryGetValue("retry-after-ms", out var milliseconds)
            && double.TryParse(milliseconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms > 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        if (response.Headers.TryGetValue("retry-after", out var value))
        {
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            {
                return TimeSpan.FromSeconds(seconds);
            }

            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && at > DateTimeOffset.UtcNow)
            {
                return at - DateTimeOffset.UtcNow;
            }
        }

        return null;
    }
}
