using AiSocial.Moderation.TextClassifier;
using AiSocial.Problems;
using Microsoft.Extensions.Options;

namespace AiSocial.Moderation.Prompts;

/// <summary>
/// Refuses a prompt or negative prompt the active in-house text classifier scores as unsafe at or above
/// <see cref="PromptGateOptions.ClassifierThreshold"/>. Shadow versions are never acted on; with no active version the
/// check lets everything through.
/// </summary>
internal sealed class TextClassifierPromptCheck(TextClassifierScorer scorer, IOptions<PromptGateOptions> options) : IPromptCheck
{
    public string Name => TextClassifierCheck.SourceName;

    public async Task<Refusal?> CheckAsync(PromptSubject subject, CancellationToken cancellationToken)
    {
        var threshold = options.Value.ClassifierThreshold;
        foreach (var (field, text) in subject.Texts())
        {
            var scores = await scorer.ScoreAsync(text, cancellationToken);
            if (scores.FirstOrDefault(s => s.Status == TextModelStatus.Active) is { } active && active.Probability >= threshold)
            {
                var where = field == "prompt" ? "prompt" : "negative prompt";
                return PromptGate.Refused(Name, field,
                    $"The platform's text classifier ({active.Label}) scores this {where} as {TextClassifierCheck.Category} " +
                    $"({active.Probability:0.000}, refused from {threshold:0.000}).",
                    new Dictionary<string, object?>
                    {
                        ["rule"] = Name,
                        ["category"] = TextClassifierCheck.Category,
                        ["score"] = Math.Round(active.Probability, 4),
                        ["version"] = active.Label,
                    });
            }
        }

        return null;
    }
}
