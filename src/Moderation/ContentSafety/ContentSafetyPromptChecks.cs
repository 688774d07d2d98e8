using AiSocial.Moderation.Prompts;
using AiSocial.Problems;
using Microsoft.Extensions.Logging;

namespace AiSocial.Moderation.ContentSafety;

/// <summary>
/// Prompt Shields on the prompt: a jailbreak or prompt-injection attempt is refused. When the service is configured
/// but cannot answer, the prompt is refused too, with a retryable 503 (<c>prompt-check-unavailable</c>): a configured
/// check that did not run must not let a prompt through, exactly as an unavailable post check holds a post.
/// </summary>
internal sealed class PromptShieldsPromptCheck(ContentSafetyClient client, ILogger<PromptShieldsPromptCheck> logger) : IPromptCheck
{
    public string Name => "prompt-shields";

    public async Task<Refusal?> CheckAsync(PromptSubject subject, CancellationToken cancellationToken)
    {
        try
        {
            var (attack, _) = await client.ShieldPromptAsync(subject.Prompt, [], cancellationToken);
            return attack
                ? PromptGate.Refused(Name, "prompt",
                    "Prompt Shields found an attempt to get around the platform's safety rules (a jailbreak or prompt injection) in this prompt.",
                    new Dictionary<string, object?> { ["rule"] = "prompt-attack" })
                : null;
        }
        catch (ContentSafetyException exception)
        {
            logger.LogWarning(exception, "Prompt Shields could not run; the prompt is refused as unavailable");
            return ContentSafetyPromptRefusals.Unavailable(Name, exception);
        }
    }
}

/// <summary>Protected material (lyrics, articles, recipes…) in the prompt is refused; an unavailable service refuses with a retryable 503.</summary>
internal sealed class ProtectedMaterialPromptCheck(ContentSafetyClient client, ILogger<ProtectedMaterialPromptCheck> logger) : IPromptCheck
{
    public string Name => "protected-material";

    public async Task<Refusal?> CheckAsync(PromptSubject subject, CancellationToken cancellationToken)
    {
        try
        {
            return await client.DetectProtectedMaterialAsync(subject.Prompt, cancellationToken)
                ? PromptGate.Refused(Name, "prompt",
                    "The prompt contains protected material (such as song lyrics or published text) that the platform does not generate from.",
                    new Dictionary<string, object?> { ["rule"] = ContentSafetyProtectedMaterialCheck.Category })
                : null;
        }
        catch (ContentSafetyException exception)
        {
            logger.LogWarning(exception, "Protected material detection could not run; the prompt is refused as unavailable");
            return ContentSafetyPromptRefusals.Unavailable(Name, exception);
        }
    }
}

internal static class ContentSafetyPromptRefusals
{
    /// <summary>How long a person is told to wait when the service gave no <c>Retry-After</c>.</summary>
    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(30);

    public static Refusal Unavailable(string check, ContentSafetyException exception) =>
        new(ModerationProblems.PromptCheckUnavailable,
            $"The {check} check could not run ({exception.ErrorMessage ?? exception.Message}); nothing was generated or counted. Send the request again shortly.")
        {
            RetryAfter = exception.RetryAfter is { } wait && wait > TimeSpan.Zero ? wait : DefaultRetryAfter,
            Extensions = new Dictionary<string, object?>
            {
                ["check"] = check,
                ["serviceStatus"] = exception.Status is { } status ? (int)status : null,
                ["serviceCode"] = exception.ErrorCode ?? exception.HeaderErrorCode,
            },
        };
}
