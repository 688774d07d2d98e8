using System.ComponentModel.DataAnnotations;

namespace AiSocial.Moderation.ContentSafety;

/// <summary>
/// Azure AI Content Safety (<c>ContentSafety</c>). With no <see cref="Endpoint"/> nothing of it is registered, so the
/// platform runs offline; with one, its checks are required, and an outage holds posts instead of passing them.
/// </summary>
public sealed record ContentSafetyOptions : IValidatableObject
{
    public const string Section = "ContentSafety";

    /// <summary>The resource's endpoint, such as <c>https://name.cognitiveservices.azure.com</c>.</summary>
    [Url]
    public string? Endpoint { get; init; }

    /// <summary>The resource key, sent as <c>Ocp-Apim-Subscription-Key</c>.</summary>
    public string? Key { get; init; }

    /// <summary>A Microsoft Entra token for scope <c>https://cognitiveservices.azure.com/.default</c>, when no key is used.</summary>
    public string? BearerToken { get; init; }

    [RegularExpression(@"^\d{4}-\d{2}-\d{2}(-preview)?$", ErrorMessage = "ContentSafety:ApiVersion is a date such as 2024-09-01.")]
    public string ApiVersion { get; init; } = "2024-09-01";

    /// <summary>How long one call may take in all, its retries and waits for the rate limit included.</summary>
    [Range(1, 600)]
    public int TimeoutSeconds { get; init; } = 30;

    /// <summary>How long one attempt may take before it is abandoned (and retried, while the total allows).</summary>
    [Range(1, 600)]
    public int AttemptTimeoutSeconds { get; init; } = 10;

    /// <summary>Retries after a 429, 500 or 503, a dropped connection or an attempt that timed out.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; init; } = 3;

    /// <summary>The first retry's delay when the service gives no <c>Retry-After</c>; it doubles each time.</summary>
    [Range(1, 60_000)]
    public int RetryDelayMilliseconds { get; init; } = 1000;

    /// <summary>The service's blocklist that <c>moderation.prompt_blocklist</c> is copied to, and that text analysis consults.</summary>
    [RegularExpression("^[0-9A-Za-z._~-]{1,64}$", ErrorMessage = "ContentSafety:BlocklistName is 1-64 letters, digits, '.', '_', '~' or '-'.")]
    public string BlocklistName { get; init; } = "aisocial";

    /// <summary>How often the blocklist is synchronised.</summary>
    [Range(1, 1440)]
    public int BlocklistSyncMinutes { get; init; } = 5;

    /// <summary>Requests this process sends in any 10 seconds (the service allows 1000); more wait their turn.</summary>
    [Range(1, 1000)]
    public int MaxRequestsPer10Seconds { get; init; } = 1000;

    /// <summary>Attempts in 30 seconds before the failure ratio can open the circuit.</summary>
    [Range(2, 10_000)]
    public int CircuitBreakerMinimumThroughput { get; init; } = 20;

    /// <summary>How long an open circuit fails calls at once, without sending them, before it tries again.</summary>
    [Range(1, 3600)]
    public int CircuitBreakerBreakSeconds { get; init; } = 30;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Endpoint);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IsConfigured && string.IsNullOrWhiteSpace(Key) && string.IsNullOrWhiteSpace(BearerToken))
        {
            yield return new ValidationResult(
                "ContentSafety:Endpoint is set but neither ContentSafety:Key nor ContentSafety:BearerToken is.", [nameof(Key)]);
        }

        if (AttemptTimeoutSeconds > TimeoutSeconds)
        {
            yield return new ValidationResult(
                "ContentSafety:AttemptTimeoutSeconds must not exceed ContentSafety:TimeoutSeconds.", [nameof(AttemptTimeoutSeconds)]);
        }
    }
}
