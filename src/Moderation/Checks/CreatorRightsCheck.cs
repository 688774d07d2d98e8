using System.Text.Json;
using AiSocial.Ingest.Creators;
using AiSocial.SafetyModels.Pdq;

namespace AiSocial.Moderation.Checks;

/// <summary>
/// Creators' verified opt-outs in a post: a name or alias (category <c>name</c>) or style phrase (<c>style</c>) as whole
/// words in its prompt, caption, alt text or the text OCR read in the image, or a registered work whose dihedral PDQ
/// hashes lie within 31 bits of the image's (<c>work</c>, so a rotated or mirrored copy is found too). Score 1 in a
/// category with a match, else 0; the detail names each opt-out, the field and, for works, the distance. A creator's
/// own opt-outs do not apply to their own posts. Each match of a scanned post is recorded (stage <c>scan</c>).
/// </summary>
internal sealed class CreatorRightsCheck(CreatorOptOuts optOuts) : IPostCheck
{
    public const string SourceName = "creator-rights";
    public const string NameCategory = "name";
    public const string StyleCategory = "style";
    public const string WorkCategory = "work";

    // The matching rules (normalisation, whole words, PDQ distance 31), not the opt-outs, which creators and staff change.
    public const string Version = "optouts-1";

    public string Source => SourceName;

    public string SettingsKey => "CreatorRights";

    // Text, so it runs after OCR and reads what OCR found; it reads the image too, for works.
    public CheckReads Reads => CheckReads.Text | CheckReads.Image;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var enforced = await optOuts.EnforcedAsync(cancellationToken);
        var found = new List<FoundOptOut>();
        if (enforced.Count > 0)
        {
            found.AddRange(CreatorOptOuts.FindInTexts(enforced, subject.Texts.Select(t => (t.Field, t.Text)), subject.AuthorId));
            if (enforced.Any(o => o.IsWork) && subject.ImageBytes.Length > 0)
            {
                var pdq = PdqHasher.Compute(subject.Image);
                if (pdq.IsUsable)
                {
                    found.AddRange(CreatorOptOuts.FindWorks(enforced, pdq.Hash, "image", subject.AuthorId));
                }
            }
        }

        if (subject.PostId is { } postId)
        {
            await optOuts.RecordMatchesAsync(found, "scan", postId, null, cancellationToken);
        }

        return [Category(NameCategory, found.Where(f => f.OptOut.Kind is OptOutKinds.Name or OptOutKinds.Alias)),
            Category(StyleCategory, found.Where(f => f.OptOut.Kind == OptOutKinds.Style)),
            Category(WorkCategory, found.Where(f => f.OptOut.IsWork))];
    }

    private Signal Category(string category, IEnumerable<FoundOptOut> found)
    {
        var matches = found.Select(f => new { optOutId = f.OptOut.Id, kind = f.OptOut.Kind, value = f.OptOut.Value, field = f.Field, distance = f.Distance })
            .ToList();
        var detail = JsonSerializer.SerializeToElement(new { matches }, new JsonSerializerOptions(JsonSerializerOptions.Web)
        {
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        });
        return new Signal(Source, Version, category, matches.Count > 0 ? 1 : 0, detail);
    }
}
