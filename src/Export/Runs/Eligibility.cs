using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Review;

namespace AiSocial.Export.Runs;

/// <summary>Why a post was left out of an export; each is counted in the manifest.</summary>
internal static class ExclusionReasons
{
    public const string NotPublished = "not_published";
    public const string Deleted = "deleted";
    public const string PostOptedOut = "post_opted_out";
    public const string NoConsent = "no_consent";
    public const string ConsentWithdrawn = "consent_withdrawn";
    public const string NotApproved = "not_approved";
    public const string MediaMissing = "media_missing";
}

/// <summary>
/// Which posts may go into a training dataset. Fails closed: only a published, undeleted post that does not opt
/// itself out, approved by moderation, whose author's latest consent event for the purpose is a grant.
/// </summary>
internal static class Eligibility
{
    public static string? ExclusionReason(TrainingCandidate candidate, ModerationLabel? label)
    {
        if (candidate.Status != PostStatus.Published)
        {
            return ExclusionReasons.NotPublished;
        }

        if (candidate.DeletedAt is not null)
        {
            return ExclusionReasons.Deleted;
        }

        // A post can narrow its author's consent, never widen it.
        if (candidate.AllowTraining == false)
        {
            return ExclusionReasons.PostOptedOut;
        }

        if (candidate.Consent is null)
        {
            return ExclusionReasons.NoConsent;
        }

        if (!candidate.Consent.Granted)
        {
            return ExclusionReasons.ConsentWithdrawn;
        }

        return label?.Decision == LabelDecision.Approve ? null : ExclusionReasons.NotApproved;
    }
}
