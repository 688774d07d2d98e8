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

/// <summary>
/// One rule a prompt must pass before anything is generated. Checks run in the order they are registered; the first
/// that refuses decides, and its refusal says which rule refused and on what.
/// </summary>
internal interface IPromptCheck
{
    /// <summary>The check's name in refusals (<c>check</c>).</summary>
    string Name { get; }

    /// <summary>Null when the prompt passes; otherwise why it is refused (a <see cref="IngestProblems.PromptRefused"/> refusal).</summary>
    Task<Refusal?> CheckAsync(PromptSubject subject, CancellationToken cancellationToken);
}

/// <summary>
/// Every prompt check, in order: the project's blocklist, then the in-house text classifier (when a version is
/// active). Content Safety, Prompt Shields and creators' opt-outs join the same list as further <see cref="IPromptCheck"/>s.
/// </summary>
public sealed class PromptGate
{
    private readonly IReadOnlyList<IPromptCheck> _checks;

    internal PromptGate(IEnumerable<IPromptCheck> checks) => _checks = [.. checks];

    /// <summary>Null when every check lets the prompt through; otherwise the first refusal.</summary>
    public async Task<Refusal?> CheckAsync(PromptSubject subject, CancellationToken cancellationToken)
    {
        using var activity = ModerationTelemetry.Activities.StartActivity("prompt gate");
        foreach (var check in _checks)
        {
            if (await check.CheckAsync(subject, cancellationToken) is { } refusal)
            {
                activity?.SetTag("aisocial.prompt_gate.refused_by", check.Name);
                return refusal;
            }
        }

        return null;
    }

    /// <summary>A refusal for the person who sent the prompt, naming the check, the field and whatever else says why.</summary>
    internal static Refusal Refused(string check, string field, string detail, IReadOnlyDictionary<string, object?> why) =>
        new(IngestProblems.PromptRefused, detail)
        {
            Extensions = new Dictionary<string, object?>(why) { ["check"] = check, ["field"] = field },
        };
}
