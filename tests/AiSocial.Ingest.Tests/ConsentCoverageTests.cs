using AiSocial.Ingest.Consent;

namespace AiSocial.Ingest.Tests;

public sealed class ConsentCoverageTests
{
    private static readonly DateTimeOffset November = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset January = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly IReadOnlyList<TermsVersion> Terms =
    [
        new("2026-11", November, "old", November),
        new("2027-01", January, "new", November),
    ];

    private static CoveringConsent Grant(string terms) => new(7, true, terms, November.AddDays(3));

    [Fact]
    public void A_grant_under_current_terms_covers_every_post_and_names_its_event() =>
        Assert.Equal(new Coverage(CoverageState.Covered, 7), ConsentCoverage.Decide(Grant("2027-01"), Terms, January.AddDays(9), January.AddDays(10)));

    [Fact]
    public void An_old_grant_covers_posts_made_before_newer_terms_took_effect_and_no_later_ones()
    {
        var asOf = January.AddDays(10);

        Assert.Equal(CoverageState.Covered, ConsentCoverage.Decide(Grant("2026-11"), Terms, January.AddTicks(-1), asOf).State);
        Assert.Equal(new Coverage(CoverageState.TermsNotAccepted, 7), ConsentCoverage.Decide(Grant("2026-11"), Terms, January, asOf));
    }

    [Fact]
    public void Terms_not_yet_in_effect_at_the_snapshot_change_nothing() =>
        Assert.Equal(CoverageState.Covered, ConsentCoverage.Decide(Grant("2026-11"), Terms, January.AddDays(-1), January.AddDays(-1)).State);

    [Fact]
    public void No_answer_or_a_withdrawal_covers_nothing()
    {
        Assert.Equal(new Coverage(CoverageState.Missing, null), ConsentCoverage.Decide(null, Terms, November, January));
        Assert.Equal(new Coverage(CoverageState.Withdrawn, 9), ConsentCoverage.Decide(new CoveringConsent(9, false, "2027-01", January), Terms, November, January));
    }

    [Fact]
    public void A_grant_under_an_unpublished_version_counts_as_older_than_every_published_one() =>
        Assert.Equal(CoverageState.TermsNotAccepted, ConsentCoverage.Decide(Grant("v1"), Terms, November.AddDays(1), November.AddDays(2)).State);

    [Fact]
    public void A_person_is_asked_again_when_they_never_answered_or_granted_under_older_terms()
    {
        ConsentEvent Event(bool granted, string terms) => new(1, Guid.NewGuid(), "s", ConsentPurposes.AiTraining, granted, terms, November, "api", null, "h");

        Assert.True(ConsentCoverage.NeedsAcceptance([], Terms, January));
        Assert.True(ConsentCoverage.NeedsAcceptance([Event(true, "2026-11")], Terms, January));
        Assert.False(ConsentCoverage.NeedsAcceptance([Event(true, "2026-11")], Terms, January.AddTicks(-1)));
        Assert.False(ConsentCoverage.NeedsAcceptance([Event(false, "2026-11")], Terms, January));
        Assert.False(ConsentCoverage.NeedsAcceptance([Event(true, "2027-01")], Terms, January));
    }
}
