using System.Text.Json;
using AiSocial.Moderation.Checks;

namespace AiSocial.Moderation.TextClassifier;

/// <summary>
/// The in-house text classifier on a post's prompt, caption and OCR text. The active version's score is signal
/// <see cref="SourceName"/>; a shadow version's is <see cref="ShadowSourceName"/>, recorded for comparison and never
/// acted on. Not required: with no version trained yet it gives no signals, but a version that fails to score makes
/// the check unavailable.
/// </summary>
internal sealed class TextClassifierCheck(TextClassifierScorer scorer) : IPostCheck
{
    public const string SourceName = "text-classifier";
    public const string ShadowSourceName = "text-classifier.shadow";
    public const string Category = "unsafe_text";

    public string Source => SourceName;

    public string SettingsKey => "TextClassifier";

    public CheckReads Reads => CheckReads.Text;

    public bool Required => false;

    public TimeSpan Timeout => TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var text = TextClassifierText.Compose(subject.Texts.Select(t => t.Text));
        var scores = await scorer.ScoreAsync(text, cancellationToken);
        return [.. scores.Select(score => new Signal(
            score.Status == TextModelStatus.Active ? SourceName : ShadowSourceName,
            score.Label,
            Category,
            score.Probability,
            JsonSerializer.SerializeToElement(new { version = score.Version, status = score.Status.ToString().ToLowerInvariant() })))];
    }
}
