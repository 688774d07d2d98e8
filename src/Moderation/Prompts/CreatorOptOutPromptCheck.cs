using AiSocial.Ingest.Creators;
using AiSocial.Problems;

namespace AiSocial.Moderation.Prompts;

/// <summary>
/// Creators' verified opt-outs at prompt time: a name, alias or style phrase in the prompt or negative prompt (whole
/// words, <see cref="CreatorNames"/>) is refused when its creator chose <c>refuse</c>, or cut out with a warning when
/// they chose <c>strip</c>; any refusal wins over a cut. A creator's own opt-outs do not apply to their own prompts.
/// Every hit is recorded as a match (stage <c>prompt</c>).
/// </summary>
internal sealed class CreatorOptOutPromptCheck(CreatorOptOuts optOuts) : IPromptCheck
{
    public const string CheckName = "creator-optout";

    public string Name => CheckName;

    public async Task<Refusal?> CheckAsync(PromptSubject subject, CancellationToken cancellationToken) =>
        (await ReviewAsync(subject, cancellationToken)).Refusal;

    public async Task<PromptCheckResult> ReviewAsync(PromptSubject subject, CancellationToken cancellationToken)
    {
        var enforced = (await optOuts.EnforcedAsync(cancellationToken)).Where(o => !o.IsWork).ToList();
        if (enforced.Count == 0)
        {
            return PromptCheckResult.Pass;
        }

        // Every field each opt-out is found in: a name in both prompt and negative prompt is cut from both.
        var found = subject.Texts()
            .SelectMany(t => CreatorOptOuts.FindInTexts(enforced, [t], subject.AccountId))
            .ToList();
        if (found.Count == 0)
        {
            return PromptCheckResult.Pass;
        }

        await optOuts.RecordMatchesAsync(found, "prompt", null, null, cancellationToken);
        if (found.FirstOrDefault(f => f.OptOut.Enforcement == OptOutEnforcements.Refuse) is { } refused)
        {
            var where = refused.Field == "prompt" ? "prompt" : "negative prompt";
            return new(PromptGate.Refused(Name, refused.Field,
                $"The {where} names '{refused.OptOut.Value}', whose creator has opted out of generation on this platform (rule: {CheckName}).",
                new Dictionary<string, object?> { ["rule"] = CheckName, ["term"] = refused.OptOut.Value, ["kind"] = refused.OptOut.Kind }));
        }

        var (prompt, negative) = (subject.Prompt, subject.NegativePrompt);
        var warnings = new List<PromptWarning>();
        foreach (var hit in found)
        {
            if (hit.Field == "prompt")
            {
                prompt = CreatorNames.Remove(prompt, hit.OptOut.Normalized!);
            }
            else
            {
                negative = CreatorNames.Remove(negative ?? "", hit.OptOut.Normalized!);
            }

            var where = hit.Field == "prompt" ? "prompt" : "negative prompt";
            warnings.Add(new PromptWarning(Name, hit.Field, hit.OptOut.Value,
                $"'{hit.OptOut.Value}' was removed from the {where}: its creator has opted out of generation on this platform."));
        }

        if (string.IsNullOrWhiteSpace(prompt))
        {
            return new(PromptGate.Refused(Name, "prompt",
                "Nothing is left of the prompt once the names of creators who opted out are removed; describe what to draw.",
                new Dictionary<string, object?> { ["rule"] = CheckName, ["term"] = found[0].OptOut.Value, ["kind"] = found[0].OptOut.Kind }));
        }

        return new(null, subject with { Prompt = prompt, NegativePrompt = string.IsNullOrWhiteSpace(negative) ? null : negative }, warnings);
    }
}
