using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Calibration;
using AiSocial.Moderation.Checks;
using AiSocial.Testing;

namespace AiSocial.Moderation.Tests.Calibration;

/// <summary>Precision, recall and the suggested threshold, from a constructed set of reviewers' decisions.</summary>
public sealed class CalibrationReportTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private static CalibrationPoint At(CategoryCalibration category, double threshold) => category.Points.Single(p => p.Threshold == threshold);

    /// <summary>
    /// Ten decided posts scored by one signal: removed ones scored 0.95, 0.9, 0.8, 0.7 and 0.3; approved ones 0.75, 0.6,
    /// 0.4, 0.2 and 0.1. At 0.7: 4 removed and 1 approved are flagged (precision 0.8, recall 0.8); at 0.8: 3 and 0 (1.0, 0.6).
    /// </summary>
    private static readonly (bool Removed, float Score)[] Decided =
    [
        (true, 0.95f), (true, 0.9f), (true, 0.8f), (true, 0.7f), (true, 0.3f),
        (false, 0.75f), (false, 0.6f), (false, 0.4f), (false, 0.2f), (false, 0.1f),
    ];

    [Fact]
    public void Each_threshold_counts_what_reviewers_removed_and_approved_at_or_above_it()
    {
        var posts = Decided.Select(d => (Id: Guid.NewGuid(), d.Removed, d.Score)).ToList();
        var report = CalibrationReport.Compute(0.9, posts.ToDictionary(p => p.Id, p => p.Removed),
            posts.Select(p => (p.Id, "nsfw", "porn", p.Score)));

        var porn = Assert.Single(report.Categories);
        Assert.Equal(("nsfw/porn", 5, 5), (porn.ThresholdKey, porn.Positives, porn.Negatives));
        Assert.Equal(19, porn.Points.Count);
        Assert.Equal(new CalibrationPoint(0.7, 4, 1, 1, 0.8, 0.8), At(porn, 0.7)); // 0.7 stored as single precision still meets 0.7
        Assert.Equal(new CalibrationPoint(0.8, 3, 0, 2, 1.0, 0.6), At(porn, 0.8));
        Assert.Equal(new CalibrationPoint(0.05, 5, 5, 0, 0.5, 1.0), At(porn, 0.05));
        Assert.Equal(new CalibrationPoint(0.95, 1, 0, 4, 1.0, 0.2), At(porn, 0.95));
        Assert.Equal(0.8, porn.SuggestedThreshold); // the lowest threshold reaching 0.9, keeping the most recall
        Assert.Equal(0.65, CalibrationReport.Compute(0.8, posts.ToDictionary(p => p.Id, p => p.Removed),
            posts.Select(p => (p.Id, "nsfw", "porn", p.Score))).Categories.Single().SuggestedThreshold);
    }

    [Fact]
    public void A_signal_that_never_reaches_the_target_suggests_nothing_and_flags_nothing_above_its_scores()
    {
        var posts = Enumerable.Range(0, 4).Select(i => (Id: Guid.NewGuid(), Removed: i % 2 == 0)).ToList();
        var report = CalibrationReport.Compute(0.9, posts.ToDictionary(p => p.Id, p => p.Removed), posts.Select(p => (p.Id, "ocr", "text_found", 0.5f)));

        var category = Assert.Single(report.Categories);
        Assert.Null(category.SuggestedThreshold);
        Assert.Equal(new CalibrationPoint(0.9, 0, 0, 2, null, 0.0), At(category, 0.9));
    }

    [Fact]
    public async Task The_report_reads_the_latest_human_decision_of_each_post_and_only_live_signals()
    {
        var author = await platform.CreateAccountAsync();
        var reviewer = await platform.CreateAccountAsync(Roles.Moderator);
        var undecided = await platform.SubmitPostAsync(author.Id, prompt: "not decided yet");
        await SaveAsync(undecided, "nsfw", "porn", 0.99f);
        foreach (var (removed, score) in Decided)
        {
            var post = await platform.SubmitPostAsync(author.Id, prompt: $"decided {Guid.NewGuid():N}");
            // A reviewer changed their mind: only the latest decision counts.
            await LabelAsync(post, reviewer, removed ? "approve" : "remove");
            await LabelAsync(post, reviewer, removed ? "remove" : "approve");
            await SaveAsync(post, "nsfw", "porn", score);
            await SaveAsync(post, "contentsafety.text", "sexual", removed ? 0.1f : 0.9f, shadow: true);
        }

        var report = await platform.Get<CalibrationReports>().ComputeAsync(0.9, default);

        Assert.Equal((10, 5, 5), (report.LabelledPosts, report.Positives, report.Negatives));
        var porn = Assert.Single(report.Categories); // the shadow check's signals are not calibrated
        Assert.Equal(new CalibrationPoint(0.7, 4, 1, 1, 0.8, 0.8), At(porn, 0.7));
        Assert.Equal(0.8, porn.SuggestedThreshold);
    }

    private async Task SaveAsync(Post post, string source, string category, float score, bool shadow = false)
    {
        await using var connection = await platform.DataSource.OpenConnectionAsync();
        await SignalStore.SaveAsync(connection, post.Id, [new Signal(source, "test-1", category, score)], shadow, default);
    }

    private Task LabelAsync(Post post, Ingest.Accounts.Account reviewer, string decision) => platform.ExecuteAsync(
        "insert into moderation.labels (post_id, source, reviewer_id, decision, policy_version) values ($1, 'human', $2, $3, 'test')",
        post.Id, reviewer.Id, decision);
}
