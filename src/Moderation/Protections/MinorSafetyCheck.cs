using System.Text.Json;
using AiSocial.Moderation.Checks;

namespace AiSocial.Moderation.Protections;

/// <summary>
/// Looks for children in a post's words: its prompt, caption, alt text and the text OCR read in the image. On its own a
/// match means nothing (a birthday party is fine); the policy's minor-safety guard holds a post that has it together
/// with a sexual score, so such a post is never published without a person. Score 1 on a match, else 0; the detail
/// lists each term or age and the field it was found in.
/// </summary>
internal sealed class MinorSafetyCheck(MinorSafetyTerms terms) : IPostCheck
{
    public const string SourceName = "minor-safety";
    public const string Category = "minor-presence";

    // The matching rules (normalisation, whole words, the age patterns), not the term list, which staff change.
    public const string Version = "terms-1";

    public string Source => SourceName;

    public string SettingsKey => "MinorSafety";

    public CheckReads Reads => CheckReads.Text;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var matches = await terms.FindInAsync(subject.Texts.Select(t => (t.Field, t.Text)), cancellationToken);
        var detail = JsonSerializer.SerializeToElement(new
        {
            matches = matches.Select(m => new { field = m.Field, term = m.Term, language = m.Language, age = m.Age }),
        }, JsonSerializerOptions.Web);
        return [new Signal(Source, Version, Category, matches.Count > 0 ? 1 : 0, detail)];
    }
}
