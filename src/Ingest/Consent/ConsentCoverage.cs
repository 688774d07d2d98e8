namespace AiSocial.Ingest.Consent;

public enum CoverageState
{
    /// <summary>A grant in force covers the post; <see cref="Coverage.EventId"/> names it.</summary>
    Covered,

    /// <summary>The author never answered for the purpose (as of the snapshot).</summary>
    Missing,

    /// <summary>The author's latest answer is a withdrawal.</summary>
    Withdrawn,

    /// <summary>The grant was given under terms that newer terms replaced before the post was made, and the author has not accepted those.</summary>
    TermsNotAccepted,
}

/// <summary>What the ledger says about one post for one purpose; <see cref="EventId"/> is the deciding event, when there is one.</summary>
public sealed record Coverage(CoverageState State, long? EventId);

/// <summary>
/// Which consent event covers a purpose for a post, as of a snapshot. Pure, so the exporter's eligibility and the
/// tests share it. The rule: the author's latest event for the purpose at the snapshot decides. A withdrawal covers
/// nothing. A grant given under terms version V covers every post made before the next published version after V
/// took effect (only versions in effect at the snapshot count); when no later version is yet in effect it covers every
/// post. So when terms change, an old grant keeps covering the posts it covered, and newer posts wait until the author
/// accepts the new terms (a new grant under them). A version that is not published (events from before terms were
/// stored) counts as older than every published one.
/// </summary>
public static class ConsentCoverage
{
    /// <param name="latest">The author's latest event for the purpose at the snapshot (ledger order), or null for none.</param>
    /// <param name="terms">The published terms versions (any order).</param>
    /// <param name="postCreatedAt">When the post was made.</param>
    /// <param name="asOf">The snapshot's time: terms taking effect later do not count yet.</param>
    public static Coverage Decide(CoveringConsent? latest, IReadOnlyList<TermsVersion> terms, DateTimeOffset postCreatedAt, DateTimeOffset asOf)
    {
        if (latest is null)
        {
            return new Coverage(CoverageState.Missing, null);
        }

        if (!latest.Granted)
        {
            return new Coverage(CoverageState.Withdrawn, latest.EventId);
        }

        var replacedAt = ReplacedAt(latest.TermsVersion, terms, asOf);
        return replacedAt is { } at && postCreatedAt >= at
            ? new Coverage(CoverageState.TermsNotAccepted, latest.EventId)
            : new Coverage(CoverageState.Covered, latest.EventId);
    }

    /// <summary>
    /// True when the person should be asked to accept the current terms: they never answered, or a purpose they
    /// grant was granted under older terms than the current ones.
    /// </summary>
    /// <param name="current">The latest event for each purpose the person answered.</param>
    /// <param name="terms">The published terms versions (any order).</param>
    /// <param name="asOf">Now, or the moment to ask about.</param>
    public static bool NeedsAcceptance(IReadOnlyCollection<ConsentEvent> current, IReadOnlyList<TermsVersion> terms, DateTimeOffset asOf)
    {
        if (Current(terms, asOf) is null)
        {
            return false;
        }

        return current.Count == 0 || current.Any(e => e.Granted && ReplacedAt(e.TermsVersion, terms, asOf) is not null);
    }

    /// <summary>The newest version in effect at <paramref name="asOf"/>, or null.</summary>
    public static TermsVersion? Current(IReadOnlyList<TermsVersion> terms, DateTimeOffset asOf) =>
        terms.Where(t => t.EffectiveAt <= asOf).MaxBy(t => t.EffectiveAt);

    /// <summary>When the next version after <paramref name="version"/> took effect, if one has by <paramref name="asOf"/>.</summary>
    private static DateTimeOffset? ReplacedAt(string version, IReadOnlyList<TermsVersion> terms, DateTimeOffset asOf)
    {
        var since = terms.FirstOrDefault(t => t.Version == version)?.EffectiveAt ?? DateTimeOffset.MinValue;
        var next = terms.Where(t => t.EffectiveAt > since && t.EffectiveAt <= asOf).MinBy(t => t.EffectiveAt);
        return next?.EffectiveAt;
    }
}
