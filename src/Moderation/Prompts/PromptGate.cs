using AiSocial.Ingest;
using AiSocial.Problems;

namespace AiSocial.Moderation.Prompts;

/// <summary>What a person asked an image generator for: the texts the prompt gate reads.</summary>
public sealed record PromptSubject(Guid AccountId, string Prompt, string? NegativePrompt)
{
    /// <summary>Each text with the request field it came from.</summary>
    internal IEnumerable<(string Field, string Text)> Texts()
    {
        yield return ("prompt", Prompt);
        if (!string.IsNullOrWhiteSpace(NegativePrompt))
        {
            yield return ("negativePrompt", NegativePrompt);
        }
    }
}

/// <summary>Something a check did to a prompt it let through, for the person who sent it (<c>warnings</c> on the generation).</summary>
/// <param name="Check">The check's name.</param>
/// <param name="Field">Which text it changed: <c>prompt</c> or <c>negativePrompt</c>.</param>
/// <param name="Term">What was taken out.</param>
/// <param name="Detail">What happened, in a sentence.</param>
public sealed record PromptWarning(string Check, string Field, string Term, string Detail);

/// <summary>What one check made of a prompt: passed, refused, or passed once rewritten (<paramref name="Rewritten"/>, with warnings saying how).</summary>
internal sealed record PromptCheckResult(Refusal? Refusal, PromptSubject? Rewritten = null, IReadOnlyList<PromptWarning>? Warnings = null)
{
    public static readonly PromptCheckResult Pass = new((Refusal?)null);
}

/// <summary>
/// One rule a prompt must pass before anything is generated. Checks run in the order they are registered; the first
/// that refuses decides, and its refusal says which rule refused and on what. A check may instead let the prompt
/// through changed (<see cref="ReviewAsync"/>); the checks after it then read the changed prompt.
/// </summary>
internal interface IPromptCheck
{
    /// <summary>The check's name in refusals (<c>check</c>).</summary>
    string Name { get; }

    /// <summary>Null when the prompt passes; otherwise why it is refused (a <see cref="IngestProblems.PromptRefused"/> refusal).</summary>
    Task<Refusal?> CheckAsync(PromptSubject subject, CancellationToken cancellationToken);

    /// <summary>What the gate asks: passed, refused, or rewritten. A check that never rewrites leaves this to <see cref="CheckAsync"/>.</summary>
    async Task<PromptCheckResult> ReviewAsync(PromptSubject subject, CancellationToken cancellationToken) =>
        new(await CheckAsync(subject, cancellationToken));
}

/// <summary>
/// What the prompt gate decided: <see cref="Refusal"/> when a check refused; otherwise <see cref="Subject"/> is what to
/// generate from (the prompt as sent, or as a check rewrote it) and <see cref="Warnings"/> says what was changed.
/// </summary>
public sealed record PromptGateResult(PromptSubject Subject, Refusal? Refusal, IReadOnlyList<PromptWarning> Warnings);

/// <summary>
/// Every prompt check, in order: creators' opt-outs (which may cut a name out, so the rest read what will be
/// generated), the project's blocklist, then the in-house text classifier (when a version is active). Content Safety's
/// Prompt Shields and protected-material checks join the same list as further <see cref="IPromptCheck"/>s.
/// </summary>
public sealed class PromptGate
{
    private readonly IReadOnlyList<IPromptCheck> _checks;

    internal PromptGate(IEnumerable<IPromptCheck> checks) => _checks = [.. checks];

    /// <summary>The first refusal, if any check refuses; otherwise the prompt to generate from (as the checks left it) and their warnings.</summary>
    public async Task<PromptGateResult> CheckAsync(PromptSubject subject, CancellationToken cancellationToken)
    {
        using var activity = ModerationTelemetry.Activities.StartActivity("prompt gate");
        var warnings = new List<PromptWarning>();
        foreach (var check in _checks)
        {
            var result = await check.ReviewAsync(subject, cancellationToken);
            if (result.Refusal is { } refusal)
            {
                activity?.SetTag("aisocial.prompt_gate.refused_by", check.Name);
                return new PromptGateResult(subject, refusal, warnings);
            }

            if (result.Rewritten is { } rewritten)
            {
                activity?.SetTag("aisocial.prompt_gate.rewritten_by", check.Name);
                subject = rewritten;
                warnings.AddRange(result.Warnings ?? []);
            }
        }

        return new PromptGateResult(subject, null, warnings);
    }

    /// <summary>A refusal for the person who sent the prompt, naming the check, the field and whatever else says why.</summary>
    internal static Refusal Refused(string check, string field, string detail, IReadOnlyDictionary<string, object?> why) =>
        new(IngestProblems.PromptRefused, detail)
        {
            Extensions = new Dictionary<string, object?>(why) { ["check"] = check, ["field"] = field },
        };
}
