using System.Text.Json;
using AiSocial.Moderation.HashBanks;
using AiSocial.SafetyModels.Pdq;

namespace AiSocial.Moderation.Checks;

/// <summary>
/// Perceptual match of the image against the PDQ hash banks: a bank entry within PDQ's match distance (31 bits) is a
/// match even after re-encoding or resizing. Images too flat for PDQ (quality 49 or less) are not matched.
/// </summary>
internal sealed class PdqHashBankCheck(PdqBankIndex banks) : IPostCheck
{
    public const string SourceName = "hashbank.pdq";
    public const string ModelVersion = "pdq-1";

    public string Source => SourceName;

    public string SettingsKey => "PdqBank";

    public CheckReads Reads => CheckReads.Image;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var pdq = PdqHasher.Compute(subject.Image);
        if (!pdq.IsUsable)
        {
            var unusable = JsonSerializer.SerializeToElement(new
            {
                pdq = pdq.Hash.ToHex(),
                quality = pdq.Quality,
                matches = Array.Empty<object>(),
                note = $"quality {pdq.Quality} is below {PdqResult.MinimumUsableQuality}: too little structure to match on",
            });
            return [new Signal(Source, ModelVersion, HashBankCheck.MatchCategory, 0.0, unusable)];
        }

        var matches = await banks.FindAsync(pdq.Hash, PdqIndex.DefaultMaxDistance, cancellationToken);
        var detail = JsonSerializer.SerializeToElement(new
        {
            pdq = pdq.Hash.ToHex(),
            quality = pdq.Quality,
            matches = matches.Select(m => new { bank = m.Bank, reason = m.Reason, distance = m.Distance }).ToArray(),
        });
        return [new Signal(Source, ModelVersion, HashBankCheck.MatchCategory, matches.Count > 0 ? 1.0 : 0.0, detail)];
    }
}
