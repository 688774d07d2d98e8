using AiSocial.Export.Runs;

namespace AiSocial.Export.Tests;

/// <summary>
/// Issue 11, point 9: many random histories, each post judged by <see cref="Eligibility.Decide"/> and by the plain
/// <see cref="Oracle"/>. No ineligible post gets through, every exclusion names the first rule that applies, and each
/// included post carries the consent event in force at the snapshot.
/// </summary>
public sealed class EligibilityPropertyTests
{
    public const int Histories = 20_000;

    [Theory]
    [InlineData(20261101)]
    [InlineData(11)]
    public void Eligibility_agrees_with_the_oracle_over_random_histories(int seed)
    {
        var random = new Random(seed);
        long nextEventId = 1;
        var seen = new Dictionary<string, int>();
        var included = 0;
        for (var h = 0; h < Histories; h++)
        {
            var history = EligibilityHistory.Generate(random, ref nextEventId);
            var snapshot = history.Snapshot();
            foreach (var post in history.Posts)
            {
                var verdict = Eligibility.Decide(post.Candidate, snapshot, history.Dataset);
                var (reasons, inForce) = Oracle.Judge(history, post);
                var context = $"seed {seed}, history {h}, post {post.Candidate.PostId}: oracle says [{string.Join(", ", reasons)}], got {verdict}";

                Assert.True(verdict.Eligible == (reasons.Count == 0), context);
                Assert.True(verdict.Reason == reasons.FirstOrDefault(), context);
                Assert.True(verdict.ConsentEventId == inForce, context);
                seen[verdict.Reason ?? "included"] = seen.GetValueOrDefault(verdict.Reason ?? "included") + 1;
                included += verdict.Eligible ? 1 : 0;
            }
        }

        // The generator reaches every rule often enough for the agreement to mean something.
        Assert.All(ExclusionReasons.InOrder, reason => Assert.True(seen.GetValueOrDefault(reason) >= 20, $"{reason}: {seen.GetValueOrDefault(reason)}"));
        Assert.True(included >= 500, $"only {included} included");
    }
}
