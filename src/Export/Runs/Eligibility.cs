using System.Numerics;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Creators;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Review;

namespace AiSocial.Export.Runs;

/// <summary>Why a post was left out of an export, in the order <see cref="Eligibility.Decide"/> asks; each is counted in the manifest.</summary>
internal static class ExclusionReasons
{
    public const string AuthorErased = "author_erased";
    public const string AuthorSuspended = "author_suspended";
    public const string AuthorMinor = "author_minor";
    public const string Deleted = "deleted";
    public const string NotPublished = "not_published";
    public const string Removed = "removed";
    public const string SensitiveNotAllowed = "sensitive_not_allowed";
    public const string OpenReports = "open_reports";
    // The consent reasons are the ones a post's own view shows (PostTraining in Ingest).
    public const string ConsentMissing = PostTraining.ConsentMissing;
    public const string ConsentWithdrawn = PostTraining.ConsentWithdrawn;
    public const string TermsNotAccepted = PostTraining.TermsNotAccepted;
    public const string PostSetting = PostTraining.PostSetting;
    public const string CreatorOptOutName = "creator_optout_name";
    public const string CreatorOptOutStyle = "creator_optout_style";
    public const string CreatorOptOutWork = "creator_optout_work";
    public const string IncomingSignal = "incoming_signal";
    public const string IncomingSignalUnreadable = "incoming_signal_unreadable";
    public const string MediaMissing = "media_missing";

    public static readonly IReadOnlyList<string> InOrder =
    [
        AuthorErased, AuthorSuspended, AuthorMinor, Deleted, NotPublished, Removed, SensitiveNotAllowed, OpenReports,
        ConsentMissing, ConsentWithdrawn, TermsNotAccepted, PostSetting, CreatorOptOutName, CreatorOptOutStyle, CreatorOptOutWork,
        IncomingSignal, IncomingSignalUnreadable, MediaMissing,
    ];
}

/// <summary>One event of an author's consent ledger (<c>ingest.consent_events</c>), as eligibility reads it.</summary>
internal sealed record ConsentRecord(long Id, string Purpose, bool Granted, string TermsVersion, DateTimeOffset OccurredAt);

/// <summary>What a dataset is for: the CAWG purpose its authors must consent to, and whether posts marked sensitive may go in.</summary>
internal sealed record DatasetPurpose(string Purpose, bool AllowSensitive = false);

/// <summary>An author as the snapshot saw them, with their consent ledger for the dataset's purpose (older events may be left out).</summary>
internal sealed record AuthorStanding(Guid Id, int BirthYear, DateTimeOffset? SuspendedAt, DateTimeOffset? ErasedAt, IReadOnlyList<ConsentRecord> Consent);

/// <summary>
/// A creator's opt-out (<see cref="OptOutKinds"/>): a name, alias or style phrase (<see cref="Phrase"/>, normalised with
/// <see cref="CreatorNames.Normalize"/>) or a work (<see cref="Works"/>: its dihedral PDQ hashes). Enforced only once
/// verified and until removed, and, as at prompt time and at scan, never against the creator's own posts.
/// </summary>
internal sealed record OptOutRule(Guid Id, Guid OwnerId, string Kind, string? Phrase, IReadOnlyList<byte[]> Works, bool Verified, DateTimeOffset? VerifiedAt,
    DateTimeOffset? RemovedAt);

/// <summary>
/// What the upload said about training (<c>posts.provenance</c>): whether its metadata could be read, its
/// <c>plus:DataMining</c> value, and its C2PA/CAWG training-mining entries (purpose → allowed|notAllowed|constrained).
/// </summary>
internal sealed record IncomingSignals(bool Readable, string? DataMining, IReadOnlyDictionary<string, string>? TrainingMining);

/// <summary>A post as an export sees it. <see cref="Texts"/> are all its words: prompt, negative prompt, caption, alt text, OCR text.</summary>
internal sealed record EligibilityCandidate(Guid PostId, Guid AuthorId, PostStatus Status, LabelDecision? Label, DateTimeOffset CreatedAt)
{
    public DateTimeOffset? DeletedAt { get; init; }

    public bool Sensitive { get; init; }

    /// <summary>False: this post is never used for training; null: its author's consent decides.</summary>
    public bool? AllowTraining { get; init; }

    public int OpenReports { get; init; }

    public IReadOnlyList<string> Texts { get; init; } = [];

    /// <summary>The media's PDQ hash (32 bytes, as <c>media.pdq_hash</c> holds it); null for media stored before hashes were computed.</summary>
    public byte[]? Pdq { get; init; }

    /// <summary>Null when nothing was recorded at upload (a generated image, or a post older than provenance).</summary>
    public IncomingSignals? Signals { get; init; }

    public bool MediaPresent { get; init; } = true;
}

/// <summary>Everything eligibility reads besides the post, as of one moment.</summary>
internal sealed class EligibilitySnapshot
{
    public EligibilitySnapshot(DateTimeOffset at, IReadOnlyList<TermsVersion> terms, IEnumerable<AuthorStanding> authors, IEnumerable<OptOutRule> optOuts)
    {
        At = at;
        Terms = terms;
        Authors = authors.ToDictionary(a => a.Id);
        // Only what was verified by the snapshot and not removed by then is enforced.
        var active = optOuts.Where(o => o.Verified && o.VerifiedAt <= at && !(o.RemovedAt <= at)).ToList();
        Names = active.Where(o => o.Kind is OptOutKinds.Name or OptOutKinds.Alias && !string.IsNullOrEmpty(o.Phrase)).ToList();
        Styles = active.Where(o => o.Kind == OptOutKinds.Style && !string.IsNullOrEmpty(o.Phrase)).ToList();
        Works = active.Where(o => o.Kind == OptOutKinds.Work && o.Works.Count > 0).ToList();
    }

    public DateTimeOffset At { get; }

    /// <summary>The published terms versions (<c>ingest.terms_versions</c>).</summary>
    public IReadOnlyList<TermsVersion> Terms { get; }

    public IReadOnlyDictionary<Guid, AuthorStanding> Authors { get; }

    internal IReadOnlyList<OptOutRule> Names { get; }

    internal IReadOnlyList<OptOutRule> Styles { get; }

    internal IReadOnlyList<OptOutRule> Works { get; }
}

/// <summary>Eligible, with the consent event that covered the post; or the first reason it is not, and the opt-out that matched if one did.</summary>
internal sealed record Verdict(string? Reason, long? ConsentEventId, Guid? OptOutId = null)
{
    public bool Eligible => Reason is null;

    public static Verdict Covered(long consentEventId) => new(null, consentEventId);

    public static Verdict Excluded(string reason, Guid? optOutId = null) => new(reason, null, optOutId);
}

/// <summary>
/// Which posts may go into a dataset, decided over a snapshot: one pure function, so the same inputs always give the
/// same answer and every rule is testable without a database. Fails closed: what cannot be shown to be allowed is not.
/// </summary>
internal static class Eligibility
{
    /// <summary>PDQ distance at or under which a post's image is taken for a registered work (Meta's recommended threshold).</summary>
    public const int WorkMatchDistance = CreatorOptOuts.MaxWorkDistance;

    public const int AdultAge = 18;

    private static readonly HashSet<string> PermittingDataMining = ["DMI-ALLOWED", "DMI-UNSPECIFIED"];

    public static Verdict Decide(EligibilityCandidate post, EligibilitySnapshot snapshot, DatasetPurpose dataset)
    {
        // No account row at all is treated like an erased one: nobody is left whose consent could cover the post.
        if (!snapshot.Authors.TryGetValue(post.AuthorId, out var author) || author.ErasedAt <= snapshot.At)
        {
            return Verdict.Excluded(ExclusionReasons.AuthorErased);
        }

        if (author.SuspendedAt <= snapshot.At)
        {
            return Verdict.Excluded(ExclusionReasons.AuthorSuspended);
        }

        if (MayBeMinor(author.BirthYear, post.CreatedAt) || MayBeMinor(author.BirthYear, snapshot.At))
        {
            return Verdict.Excluded(ExclusionReasons.AuthorMinor);
        }

        if (post.DeletedAt <= snapshot.At)
        {
            return Verdict.Excluded(ExclusionReasons.Deleted);
        }

        if (ModerationReason(post) is { } moderation)
        {
            return Verdict.Excluded(moderation);
        }

        if (post.Sensitive && !dataset.AllowSensitive)
        {
            return Verdict.Excluded(ExclusionReasons.SensitiveNotAllowed);
        }

        if (post.OpenReports > 0)
        {
            return Verdict.Excluded(ExclusionReasons.OpenReports);
        }

        // The ledger's own rule (ConsentCoverage): the event in force decides, and a grant stands only for what its terms covered.
        var inForce = InForce(author.Consent, dataset.Purpose, snapshot.At);
        var coverage = ConsentCoverage.Decide(inForce is null ? null : new CoveringConsent(inForce.Id, inForce.Granted, inForce.TermsVersion, inForce.OccurredAt),
            snapshot.Terms, post.CreatedAt, snapshot.At);
        if (coverage.State != CoverageState.Covered)
        {
            return Verdict.Excluded(coverage.State switch
            {
                CoverageState.Missing => ExclusionReasons.ConsentMissing,
                CoverageState.Withdrawn => ExclusionReasons.ConsentWithdrawn,
                _ => ExclusionReasons.TermsNotAccepted,
            });
        }

        // A post can narrow its author's consent, never widen it (posts.allow_training is null or false).
        if (post.AllowTraining == false)
        {
            return Verdict.Excluded(ExclusionReasons.PostSetting);
        }

        if (OptOutMatch(post, snapshot) is { } optOut)
        {
            return optOut;
        }

        if (post.Signals is { } signals)
        {
            if (signals.DataMining is { } dataMining && !PermittingDataMining.Contains(VocabularyTerm(dataMining))
                || signals.TrainingMining is { } entries && RelevantPurposes(dataset.Purpose).Any(p => entries.TryGetValue(p, out var use) && use != "allowed"))
            {
                return Verdict.Excluded(ExclusionReasons.IncomingSignal);
            }

            if (!signals.Readable)
            {
                return Verdict.Excluded(ExclusionReasons.IncomingSignalUnreadable);
            }
        }

        return post.MediaPresent ? Verdict.Covered(coverage.EventId!.Value) : Verdict.Excluded(ExclusionReasons.MediaMissing);
    }

    /// <summary>The event in force for <paramref name="purpose"/> at <paramref name="asOf"/>: the newest in ledger order that had occurred by then.</summary>
    public static ConsentRecord? InForce(IEnumerable<ConsentRecord> events, string purpose, DateTimeOffset asOf) =>
        events.Where(e => e.Purpose == purpose && e.OccurredAt <= asOf).MaxBy(e => e.Id);

    /// <summary>Only a birth year is known: until the year in which the person turns 19 they may still be 17.</summary>
    public static bool MayBeMinor(int birthYear, DateTimeOffset at) => at.UtcDateTime.Year - birthYear <= AdultAge;

    private static string? ModerationReason(EligibilityCandidate post) => post.Status switch
    {
        PostStatus.Removed => ExclusionReasons.Removed,
        PostStatus.Published => post.Label switch
        {
            LabelDecision.Approve => null,
            LabelDecision.Remove or LabelDecision.Reject => ExclusionReasons.Removed,
            _ => ExclusionReasons.NotPublished, // published without any moderation label: never approved
        },
        _ => ExclusionReasons.NotPublished,
    };

    private static Verdict? OptOutMatch(EligibilityCandidate post, EligibilitySnapshot snapshot)
    {
        if (snapshot.Names.Count + snapshot.Styles.Count > 0)
        {
            var texts = post.Texts.Where(t => !string.IsNullOrWhiteSpace(t)).Select(CreatorNames.Normalize).ToList();
            foreach (var (rules, reason) in new[] { (snapshot.Names, ExclusionReasons.CreatorOptOutName), (snapshot.Styles, ExclusionReasons.CreatorOptOutStyle) })
            {
                if (rules.FirstOrDefault(rule => rule.OwnerId != post.AuthorId && texts.Any(text => CreatorNames.ContainsPhrase(text, rule.Phrase!))) is { } named)
                {
                    return Verdict.Excluded(reason, named.Id);
                }
            }
        }

        foreach (var work in snapshot.Works.Where(w => w.OwnerId != post.AuthorId))
        {
            // An image whose hash was never computed cannot be shown not to be a registered work.
            if (post.Pdq is not { } pdq || work.Works.Any(hash => Distance(pdq, hash) <= WorkMatchDistance))
            {
                return Verdict.Excluded(ExclusionReasons.CreatorOptOutWork, work.Id);
            }
        }

        return null;
    }

    /// <summary>PDQ distance: the number of bits in which two 256-bit hashes differ.</summary>
    internal static int Distance(byte[] a, byte[] b)
    {
        var bits = 0;
        for (var i = 0; i < a.Length; i++)
        {
            bits += BitOperations.PopCount((uint)(a[i] ^ b[i]));
        }

        return bits;
    }

    /// <summary><c>plus:DataMining</c> is written either as the vocabulary URI or as its last segment.</summary>
    private static string VocabularyTerm(string value) => value.Trim()[(value.Trim().LastIndexOf('/') + 1)..];

    /// <summary>The training-mining entries that speak to a purpose: its own, and for generative training also training in general.</summary>
    public static IReadOnlyList<string> RelevantPurposes(string purpose) => purpose == ConsentPurposes.AiGenerativeTraining
        ? [ConsentPurposes.AiGenerativeTraining, ConsentPurposes.AiTraining]
        : [purpose];
}
