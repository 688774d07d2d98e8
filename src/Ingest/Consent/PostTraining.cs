using AiSocial.Ingest.Posts;

namespace AiSocial.Ingest.Consent;

/// <summary>
/// What a post's own training setting does, as its author sees it: <see cref="Setting"/> is <c>inherit</c> (the author's
/// consent decides) or <c>excluded</c> (the post is never used for training); <see cref="Effective"/> says, for each
/// training purpose, <c>allowed</c> or the reason it is not (the names dataset manifests count them under).
/// </summary>
public sealed record PostTrainingState(string Setting, IReadOnlyDictionary<string, string> Effective);

/// <summary>
/// A post can narrow, never widen, its author's consent. This reads the author's consent now, with the ledger's own
/// rule (<see cref="ConsentCoverage"/>), so the post's view shows the effect its setting has; only moderation and the
/// other export rules can still keep an allowed post out of a dataset.
/// </summary>
public sealed class PostTraining(ConsentLedger ledger, TermsCatalog terms, TimeProvider time)
{
    public const string Inherit = "inherit";
    public const string Excluded = "excluded";
    public const string Allowed = "allowed";

    // The names Export's manifests count exclusions under.
    public const string ConsentMissing = "consent_missing";
    public const string ConsentWithdrawn = "consent_withdrawn";
    public const string TermsNotAccepted = "terms_not_accepted";
    public const string PostSetting = "post_setting";

    public static readonly IReadOnlyList<string> Purposes = [ConsentPurposes.AiTraining, ConsentPurposes.AiGenerativeTraining];

    public async Task<PostTrainingState> StateAsync(Post post, CancellationToken cancellationToken)
    {
        var current = await ledger.CurrentAsync(post.Author.Id, cancellationToken);
        var published = await terms.ListAsync(cancellationToken);
        return Decide(post.AllowTraining, post.CreatedAt, current, published, time.GetUtcNow());
    }

    /// <summary>Pure: the state for a post made at <paramref name="createdAt"/>, given its author's latest event per purpose.</summary>
    public static PostTrainingState Decide(bool? allowTraining, DateTimeOffset createdAt, IEnumerable<ConsentEvent> latestPerPurpose,
        IReadOnlyList<TermsVersion> published, DateTimeOffset asOf)
    {
        var effective = new Dictionary<string, string>();
        foreach (var purpose in Purposes)
        {
            var latest = latestPerPurpose.FirstOrDefault(e => e.Purpose == purpose);
            var coverage = ConsentCoverage.Decide(latest is null ? null : new CoveringConsent(latest.Id, latest.Granted, latest.TermsVersion, latest.OccurredAt),
                published, createdAt, asOf);
            effective[purpose] = coverage.State switch
            {
                CoverageState.Missing => ConsentMissing,
                CoverageState.Withdrawn => ConsentWithdrawn,
                CoverageState.TermsNotAccepted => TermsNotAccepted,
                _ => allowTraining == false ? PostSetting : Allowed,
            };
        }

        return new PostTrainingState(allowTraining == false ? Excluded : Inherit, effective);
    }
}
