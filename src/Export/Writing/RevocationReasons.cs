using AiSocial.Export.Runs;

namespace AiSocial.Export.Writing;

/// <summary>Why a published row must now be deleted, in the words revocation lists use (<c>export.run_revocations.reason</c>).</summary>
internal static class RevocationReasons
{
    public const string ConsentWithdrawn = "consent_withdrawn";
    public const string CreatorOptOut = "creator_optout";
    public const string Erasure = "erasure";
    public const string Moderation = "moderation";
    public const string Report = "report";
    public const string Deleted = "deleted";

    /// <summary>The revocation reason for a post that <see cref="Eligibility"/> now excludes for <paramref name="exclusion"/>.</summary>
    public static string For(string exclusion) => exclusion switch
    {
        ExclusionReasons.AuthorErased => Erasure,
        ExclusionReasons.ConsentMissing or ExclusionReasons.ConsentWithdrawn or ExclusionReasons.TermsNotAccepted or ExclusionReasons.PostSetting
            or ExclusionReasons.IncomingSignal or ExclusionReasons.IncomingSignalUnreadable => ConsentWithdrawn,
        ExclusionReasons.CreatorOptOutName or ExclusionReasons.CreatorOptOutStyle or ExclusionReasons.CreatorOptOutWork => CreatorOptOut,
        ExclusionReasons.NotPublished or ExclusionReasons.Removed or ExclusionReasons.SensitiveNotAllowed or ExclusionReasons.AuthorSuspended
            or ExclusionReasons.AuthorMinor => Moderation,
        ExclusionReasons.OpenReports => Report,
        ExclusionReasons.Deleted or ExclusionReasons.MediaMissing => Deleted,
        _ => throw new ArgumentOutOfRangeException(nameof(exclusion), exclusion, "No revocation reason for this exclusion."),
    };
}
