using System.Text.Json;
using AiSocial.Moderation.HashBanks;

namespace AiSocial.Moderation.Checks;

/// <summary>Exact SHA-256 match of the image as uploaded against the hash banks of known-bad media.</summary>
internal sealed class HashBankCheck(HashBank hashBank) : IPostCheck
{
    public const string SourceName = "hashbank.sha256";
    public const string MatchCategory = "known_bad_media";

    public string Source => SourceName;

    public string SettingsKey => "HashBank";

    public CheckReads Reads => CheckReads.Image;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var matches = await hashBank.FindBySha256Async(subject.UploadSha256, cancellationToken);
        var detail = JsonSerializer.SerializeToElement(new { banks = matches.Select(m => m.Bank).ToArray(), reasons = matches.Select(m => m.Reason).ToArray() });
        return [new Signal(Source, "1", MatchCategory, matches.Count > 0 ? 1.0 : 0.0, detail)];
    }
}
