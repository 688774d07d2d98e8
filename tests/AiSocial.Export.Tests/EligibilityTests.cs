using AiSocial.Export.Runs;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Creators;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Review;

namespace AiSocial.Export.Tests;

/// <summary>Each rule of <see cref="Eligibility.Decide"/> on its own, starting from a post that is eligible.</summary>
public sealed class EligibilityTests
{
    private static readonly DateTimeOffset Snapshot = new(2027, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Terms1 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Terms2 = new(2027, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Guid AuthorId = Guid.NewGuid();
    private static readonly DatasetPurpose Training = new(ConsentPurposes.AiTraining);
    private static readonly DatasetPurpose Generative = new(ConsentPurposes.AiGenerativeTraining);
    private static readonly byte[] Work = Hash('a');

    private static readonly TermsVersion[] Terms = [Published("2026-11", Terms1), Published("2027-03", Terms2)];

    private static TermsVersion Published(string version, DateTimeOffset effectiveAt) => new(version, effectiveAt, "terms", effectiveAt);

    private static byte[] Hash(char digit) => Convert.FromHexString(new string(digit, 64));

    private static EligibilityCandidate Post(Func<EligibilityCandidate, EligibilityCandidate>? change = null)
    {
        var post = new EligibilityCandidate(Guid.NewGuid(), AuthorId, PostStatus.Published, LabelDecision.Approve, Terms1.AddDays(10))
        {
            Texts = ["a lighthouse at dusk", "", "caption"],
            Pdq = Hash('5'),
            Signals = new IncomingSignals(true, "http://ns.useplus.org/ldf/vocab/DMI-ALLOWED", null),
        };
        return change is null ? post : change(post);
    }

    private static AuthorStanding Author(params ConsentRecord[] consent) => new(AuthorId, 1990, null, null, consent);

    private static ConsentRecord Grant(long id, string purpose = ConsentPurposes.AiTraining, string terms = "2026-11", DateTimeOffset? at = null) =>
        new(id, purpose, true, terms, at ?? Terms1.AddDays(1));

    private static ConsentRecord Withdraw(long id, string purpose = ConsentPurposes.AiTraining, DateTimeOffset? at = null) =>
        new(id, purpose, false, "2026-11", at ?? Terms1.AddDays(2));

    private static EligibilitySnapshot Snap(AuthorStanding? author = null, params OptOutRule[] optOuts) =>
        new(Snapshot, Terms, [author ?? Author(Grant(7))], optOuts);

    private static OptOutRule Verified(string kind, string? phrase, params byte[][] works) =>
        new(Guid.NewGuid(), Guid.NewGuid(), kind, phrase is null ? null : CreatorNames.Normalize(phrase), works, true, Snapshot.AddDays(-1), null);

    [Fact]
    public void An_approved_post_of_a_consenting_adult_is_eligible_with_the_grant_that_covers_it()
    {
        Assert.Equal(Verdict.Covered(7), Eligibility.Decide(Post(), Snap(), Training));
    }

    [Fact]
    public void A_generative_training_dataset_needs_consent_to_generative_training_not_only_to_training()
    {
        var onlyTraining = Snap(Author(Grant(7)));
        var both = Snap(Author(Grant(7), Grant(8, ConsentPurposes.AiGenerativeTraining)));
        var refusedGenerative = Snap(Author(Grant(7), Withdraw(8, ConsentPurposes.AiGenerativeTraining)));

        Assert.Equal(ExclusionReasons.ConsentMissing, Eligibility.Decide(Post(), onlyTraining, Generative).Reason);
        Assert.Equal(Verdict.Covered(8), Eligibility.Decide(Post(), both, Generative));
        Assert.Equal(ExclusionReasons.ConsentWithdrawn, Eligibility.Decide(Post(), refusedGenerative, Generative).Reason);
        Assert.Equal(Verdict.Covered(7), Eligibility.Decide(Post(), refusedGenerative, Training));
    }

    [Fact]
    public void Consent_is_read_as_of_the_snapshot_the_latest_event_at_or_before_it()
    {
        var later = Snap(Author(Grant(7), Withdraw(9, at: Snapshot.AddSeconds(1))));
        var regranted = Snap(Author(Grant(7), Withdraw(9), Grant(12, at: Snapshot)));

        Assert.Equal(Verdict.Covered(7), Eligibility.Decide(Post(), later, Training));
        Assert.Equal(Verdict.Covered(12), Eligibility.Decide(Post(), regranted, Training));
    }

    [Fact]
    public void An_old_grant_covers_only_posts_made_before_the_next_terms_took_effect()
    {
        var oldGrant = Snap(Author(Grant(7)));
        var accepted = Snap(Author(Grant(7), Grant(11, terms: "2027-03", at: Terms2.AddDays(1))));
        var unpublished = Snap(Author(Grant(7, terms: "v-never-published")));
        var before = Post(p => p with { CreatedAt = Terms2.AddTicks(-1) });
        var after = Post(p => p with { CreatedAt = Terms2 });

        Assert.Equal(Verdict.Covered(7), Eligibility.Decide(before, oldGrant, Training));
        Assert.Equal(ExclusionReasons.TermsNotAccepted, Eligibility.Decide(after, oldGrant, Training).Reason);
        Assert.Equal(Verdict.Covered(11), Eligibility.Decide(after, accepted, Training));
        Assert.Equal(Verdict.Covered(11), Eligibility.Decide(before, accepted, Training));
        Assert.Equal(ExclusionReasons.TermsNotAccepted, Eligibility.Decide(before, unpublished, Training).Reason);
    }

    [Fact]
    public void A_post_can_narrow_its_authors_consent_but_the_setting_comes_after_consent()
    {
        var optedOut = Post(p => p with { AllowTraining = false });

        Assert.Equal(ExclusionReasons.PostSetting, Eligibility.Decide(optedOut, Snap(), Training).Reason);
        Assert.Equal(ExclusionReasons.ConsentWithdrawn, Eligibility.Decide(optedOut, Snap(Author(Grant(7), Withdraw(8))), Training).Reason);
    }

    [Fact]
    public void The_author_must_be_present_unsuspended_and_certainly_adult()
    {
        var born = Snapshot.Year - 18;
        Assert.Equal(ExclusionReasons.AuthorErased, Eligibility.Decide(Post(), Snap(Author(Grant(7)) with { ErasedAt = Snapshot.AddDays(-1) }), Training).Reason);
        Assert.Equal(ExclusionReasons.AuthorErased, Eligibility.Decide(Post(p => p with { AuthorId = Guid.NewGuid() }), Snap(), Training).Reason);
        Assert.Equal(ExclusionReasons.AuthorSuspended, Eligibility.Decide(Post(), Snap(Author(Grant(7)) with { SuspendedAt = Snapshot }), Training).Reason);
        Assert.True(Eligibility.Decide(Post(), Snap(Author(Grant(7)) with { SuspendedAt = Snapshot.AddDays(1) }), Training).Eligible);
        // Born in that year, they may not turn 18 until December of the snapshot's year.
        Assert.Equal(ExclusionReasons.AuthorMinor, Eligibility.Decide(Post(), Snap(Author(Grant(7)) with { BirthYear = born }), Training).Reason);
        // Adult now, but the post was made while they may have been 17.
        Assert.Equal(ExclusionReasons.AuthorMinor, Eligibility.Decide(Post(), Snap(Author(Grant(7)) with { BirthYear = Terms1.Year - 18 }), Training).Reason);
        Assert.True(Eligibility.Decide(Post(), Snap(Author(Grant(7)) with { BirthYear = Terms1.Year - 19 }), Training).Eligible);
    }

    [Fact]
    public void Only_a_published_approved_undeleted_unreported_post_goes_in_and_sensitive_only_where_the_dataset_allows()
    {
        Assert.Equal(ExclusionReasons.Deleted, Eligibility.Decide(Post(p => p with { DeletedAt = Snapshot }), Snap(), Training).Reason);
        Assert.Equal(ExclusionReasons.NotPublished, Eligibility.Decide(Post(p => p with { Status = PostStatus.Pending, Label = null }), Snap(), Training).Reason);
        Assert.Equal(ExclusionReasons.NotPublished, Eligibility.Decide(Post(p => p with { Status = PostStatus.Rejected, Label = LabelDecision.Reject }), Snap(), Training).Reason);
        Assert.Equal(ExclusionReasons.NotPublished, Eligibility.Decide(Post(p => p with { Label = null }), Snap(), Training).Reason);
        Assert.Equal(ExclusionReasons.Removed, Eligibility.Decide(Post(p => p with { Status = PostStatus.Removed, Label = LabelDecision.Remove }), Snap(), Training).Reason);
        Assert.Equal(ExclusionReasons.Removed, Eligibility.Decide(Post(p => p with { Label = LabelDecision.Remove }), Snap(), Training).Reason);
        Assert.Equal(ExclusionReasons.SensitiveNotAllowed, Eligibility.Decide(Post(p => p with { Sensitive = true }), Snap(), Training).Reason);
        Assert.True(Eligibility.Decide(Post(p => p with { Sensitive = true }), Snap(), Training with { AllowSensitive = true }).Eligible);
        Assert.Equal(ExclusionReasons.OpenReports, Eligibility.Decide(Post(p => p with { OpenReports = 1 }), Snap(), Training).Reason);
    }

    [Fact]
    public void A_verified_name_or_style_in_any_text_excludes_the_post_naming_the_opt_out()
    {
        var name = Verified(OptOutKinds.Alias, "Zoë  Çelik");
        var style = Verified(OptOutKinds.Style, "ink wash nebula");
        var inAltText = Post(p => p with { Texts = ["a harbour", null!, "caption", "in the manner of ZOE CELIK, at night"] });
        var inOcr = Post(p => p with { Texts = ["a harbour", "sign reads: Ink-Wash Nebula!"] });
        var partOfAWord = Post(p => p with { Texts = ["zoecelik and ink wash nebulas"] });

        Assert.Equal(Verdict.Excluded(ExclusionReasons.CreatorOptOutName, name.Id), Eligibility.Decide(inAltText, Snap(null, name, style), Training));
        Assert.Equal(Verdict.Excluded(ExclusionReasons.CreatorOptOutStyle, style.Id), Eligibility.Decide(inOcr, Snap(null, name, style), Training));
        Assert.True(Eligibility.Decide(partOfAWord, Snap(null, name, style), Training).Eligible);
    }

    [Fact]
    public void A_creators_own_posts_are_not_kept_out_by_their_own_opt_outs()
    {
        var own = Verified(OptOutKinds.Name, "ada lumen") with { OwnerId = AuthorId };
        var work = Verified(OptOutKinds.Work, null, Work) with { OwnerId = AuthorId };

        Assert.True(Eligibility.Decide(Post(p => p with { Texts = ["by ada lumen"], Pdq = Work }), Snap(null, own, work), Training).Eligible);
    }

    [Fact]
    public void Only_verified_opt_outs_count_from_their_verification_until_their_removal()
    {
        var named = Post(p => p with { Texts = ["by ada lumen"] });
        OptOutRule Rule(bool verified, DateTimeOffset? verifiedAt, DateTimeOffset? removedAt) =>
            new(Guid.NewGuid(), Guid.NewGuid(), OptOutKinds.Name, "ada lumen", [], verified, verifiedAt, removedAt);

        Assert.True(Eligibility.Decide(named, Snap(null, Rule(false, null, null)), Training).Eligible);
        Assert.True(Eligibility.Decide(named, Snap(null, Rule(true, Snapshot.AddMinutes(1), null)), Training).Eligible);
        Assert.True(Eligibility.Decide(named, Snap(null, Rule(true, Snapshot.AddDays(-2), Snapshot.AddDays(-1))), Training).Eligible);
        Assert.False(Eligibility.Decide(named, Snap(null, Rule(true, Snapshot.AddDays(-2), Snapshot.AddDays(1))), Training).Eligible);
    }

    [Fact]
    public void An_image_within_PDQ_distance_31_of_any_variant_of_a_verified_work_is_excluded()
    {
        var work = Verified(OptOutKinds.Work, null, Hash('0'), Work);
        // 'a' is 1010: every hex digit changed to 'b' (1011) flips one bit.
        var near = Convert.FromHexString(new string('b', 31) + new string('a', 33));
        var far = Convert.FromHexString(new string('b', 32) + new string('a', 32));

        Assert.Equal(31, Eligibility.Distance(near, Work));
        Assert.Equal(Verdict.Excluded(ExclusionReasons.CreatorOptOutWork, work.Id), Eligibility.Decide(Post(p => p with { Pdq = near }), Snap(null, work), Training));
        Assert.True(Eligibility.Decide(Post(p => p with { Pdq = far }), Snap(null, work), Training).Eligible);
        // A hash never computed cannot show the image is not the work.
        Assert.Equal(ExclusionReasons.CreatorOptOutWork, Eligibility.Decide(Post(p => p with { Pdq = null }), Snap(null, work), Training).Reason);
        Assert.True(Eligibility.Decide(Post(p => p with { Pdq = null }), Snap(), Training).Eligible);
    }

    [Theory]
    [InlineData("DMI-ALLOWED", true)]
    [InlineData("DMI-UNSPECIFIED", true)]
    [InlineData("http://ns.useplus.org/ldf/vocab/DMI-UNSPECIFIED", true)]
    [InlineData("http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING", false)]
    [InlineData("DMI-PROHIBITED-GENAIMLTRAINING", false)]
    [InlineData("DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", false)]
    [InlineData("DMI-PROHIBITED", false)]
    [InlineData("DMI-PROHIBITED-SEECONSTRAINT", false)]
    [InlineData("DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR", false)]
    [InlineData("DMI-PROHIBITED-SEELINKEDRIGHTSEXPR", false)]
    [InlineData("something else", false)]
    public void Only_plus_DataMining_allowed_or_unspecified_lets_a_post_through(string value, bool eligible)
    {
        var verdict = Eligibility.Decide(Post(p => p with { Signals = new IncomingSignals(true, value, null) }), Snap(), Training);

        Assert.Equal(eligible ? null : ExclusionReasons.IncomingSignal, verdict.Reason);
    }

    [Theory]
    [InlineData("allowed", "allowed", true, true)]
    [InlineData("notAllowed", "allowed", false, false)]
    [InlineData("constrained", "allowed", false, false)]
    [InlineData("allowed", "notAllowed", true, false)]
    [InlineData("allowed", "constrained", true, false)]
    public void Training_mining_entries_for_the_datasets_purpose_must_say_allowed(string training, string generative, bool trainingOk, bool generativeOk)
    {
        var signals = new IncomingSignals(true, null, new Dictionary<string, string>
        {
            [ConsentPurposes.AiTraining] = training,
            [ConsentPurposes.AiGenerativeTraining] = generative,
            [ConsentPurposes.DataMining] = "notAllowed",
        });
        var post = Post(p => p with { Signals = signals });
        var snapshot = Snap(Author(Grant(7), Grant(8, ConsentPurposes.AiGenerativeTraining)));

        Assert.Equal(trainingOk, Eligibility.Decide(post, snapshot, Training).Eligible);
        Assert.Equal(generativeOk, Eligibility.Decide(post, snapshot, Generative).Eligible);
    }

    [Fact]
    public void Unreadable_metadata_never_counts_as_permission_and_a_missing_file_is_counted()
    {
        Assert.Equal(ExclusionReasons.IncomingSignalUnreadable,
            Eligibility.Decide(Post(p => p with { Signals = new IncomingSignals(false, null, null) }), Snap(), Training).Reason);
        Assert.True(Eligibility.Decide(Post(p => p with { Signals = null }), Snap(), Training).Eligible);
        Assert.Equal(ExclusionReasons.MediaMissing, Eligibility.Decide(Post(p => p with { MediaPresent = false }), Snap(), Training).Reason);
    }

    [Fact]
    public void The_first_reason_in_the_documented_order_is_the_one_given()
    {
        var everything = Post(p => p with
        {
            DeletedAt = Snapshot,
            Status = PostStatus.Removed,
            Sensitive = true,
            OpenReports = 2,
            AllowTraining = false,
            Texts = ["ada lumen"],
            Signals = new IncomingSignals(false, "DMI-PROHIBITED", null),
            MediaPresent = false,
        });
        var author = Author(Withdraw(3)) with { SuspendedAt = Snapshot, BirthYear = Snapshot.Year - 15 };

        Assert.Equal(ExclusionReasons.AuthorSuspended, Eligibility.Decide(everything, Snap(author), Training).Reason);
        Assert.Equal(ExclusionReasons.AuthorMinor, Eligibility.Decide(everything, Snap(author with { SuspendedAt = null }), Training).Reason);
        Assert.Equal(ExclusionReasons.Deleted, Eligibility.Decide(everything, Snap(author with { SuspendedAt = null, BirthYear = 1980 }), Training).Reason);
        Assert.Equal(18, ExclusionReasons.InOrder.Distinct().Count());
    }
}
