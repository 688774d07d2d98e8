using System.Collections.Concurrent;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Policy;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AiSocial.Moderation.Tests.Policy;

/// <summary>
/// A stand-in for an outside check that grades images (Content Safety's source and categories), answering what a test
/// scripted for the post's prompt; every other check is the real one, with the real models.
/// </summary>
public sealed class ScriptedImageService : IPostCheck
{
    public ConcurrentDictionary<string, Signal[]> ByPrompt { get; } = new(StringComparer.Ordinal);

    public string Source => "contentsafety.image";

    public string SettingsKey => "ScriptedImage";

    public CheckReads Reads => CheckReads.Text;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(5);

    public Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var prompt = subject.Texts.FirstOrDefault(t => t.Field == "prompt")?.Text ?? "";
        IReadOnlyList<Signal> signals = ByPrompt.TryGetValue(prompt, out var scripted) ? scripted : [];
        return Task.FromResult(signals);
    }

    /// <summary>A Content Safety-shaped signal: score = level / 7.</summary>
    public static Signal Graded(string category, int level, string source = "contentsafety.image") =>
        new(source, "2024-09-01", category, level / 7.0, Severity: level);
}

/// <summary>A check configured in shadow that would reject every post if the policy read it.</summary>
public sealed class ShadowPornDetector : IPostCheck
{
    public string Source => "nsfw";

    public string SettingsKey => "ShadowPorn";

    public CheckReads Reads => CheckReads.Text;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(5);

    public Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Signal>>([new Signal(Source, "shadow-candidate", "porn", 1.0)]);
}

/// <summary>A check that fails whenever it runs: configured optional (and one configured off).</summary>
public sealed class FailingCheck(string key) : IPostCheck
{
    public int Runs;

    public string Source => $"test.{key.ToLowerInvariant()}";

    public string SettingsKey => key;

    public CheckReads Reads => CheckReads.Text;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(5);

    public Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Runs);
        throw new HttpRequestException("the service is down");
    }
}

public sealed class PolicyScanPlatform : PlatformFixture
{
    public ScriptedImageService Service { get; } = new();

    public FailingCheck Optional { get; } = new("FlakyOptional");

    public FailingCheck Disabled { get; } = new("SwitchedOff");

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Moderation:Checks:ShadowPorn:Mode"] = "Shadow";
        settings["Moderation:Checks:FlakyOptional:Required"] = "false";
        settings["Moderation:Checks:SwitchedOff:Enabled"] = "false";
    }

    protected override void Customize(HostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IPostCheck>(Service);
        builder.Services.AddSingleton<IPostCheck, ShadowPornDetector>();
        builder.Services.AddSingleton<IPostCheck>(Optional);
        builder.Services.AddSingleton<IPostCheck>(Disabled);
    }
}

/// <summary>The scanner deciding posts under the shipped policy (v1), end to end: real models, real database, one transaction per post.</summary>
public sealed class PolicyScanTests(PolicyScanPlatform platform) : IClassFixture<PolicyScanPlatform>
{
    private PostScanner Scanner => platform.Get<PostScanner>();

    private PolicyStore Policies => platform.Get<PolicyStore>();

    private static readonly Actor Admin = Actor.System("policy-test");

    private async Task<Post> PostAsync(string prompt, params Signal[] serviceSays)
    {
        var unique = $"{prompt} {Guid.NewGuid():N}";
        platform.Service.ByPrompt[unique] = serviceSays;
        return await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, PostScannerTests.CleanImage(Random.Shared.Next(20)), unique);
    }

    private async Task<Post> ReloadAsync(Post post) => (await platform.Get<PostStore>().GetAsync(post.Id, default))!;

    private Task<string> DecisionAsync(Post post) => platform.ScalarAsync<string>(
        "select action || ' ' || rule_id from moderation.decisions where post_id = $1 and mode = 'live' order by id desc limit 1", post.Id);

    [Fact]
    public async Task A_clean_post_is_published_without_a_person_and_neither_the_shadow_check_nor_an_optional_check_that_failed_holds_it()
    {
        var post = await PostAsync("a lighthouse at dusk");
        var optionalRuns = platform.Optional.Runs;

        var report = await Scanner.ScanUntilIdleAsync(default);

        Assert.Equal(1, report.Published);
        Assert.Equal(PostStatus.Published, (await ReloadAsync(post)).Status);
        Assert.Equal("publish clean", await DecisionAsync(post));
        Assert.True(platform.Optional.Runs > optionalRuns);
        Assert.Equal(1, await platform.ScalarAsync<int>("select attempts from ingest.outbox where subject_id = $1", post.Id));
        // The shadow check's porn = 1.0 is stored, marked shadow, and was never read.
        Assert.True(await platform.ScalarAsync<bool>(
            "select shadow from moderation.signals where post_id = $1 and source = 'nsfw' and model_version = 'shadow-candidate'", post.Id));
        Assert.DoesNotContain(await platform.Get<SignalStore>().ForPostsAsync([post.Id], default), g => g.Any(s => s.ModelVersion == "shadow-candidate"));
        Assert.Equal(0, platform.Disabled.Runs);
        Assert.DoesNotContain(platform.Get<CheckRunner>().Checks, c => c.SettingsKey == "SwitchedOff");
    }

    [Fact]
    public async Task A_suggestive_post_is_published_sensitive_behind_the_policys_warning()
    {
        var post = await PostAsync("a beach portrait", ScriptedImageService.Graded("sexual", 2));

        await Scanner.ScanUntilIdleAsync(default);

        var published = await ReloadAsync(post);
        Assert.Equal((PostStatus.Published, true, "Suggestive"), (published.Status, published.Sensitive, published.ContentWarning));
        Assert.Equal("publish-sensitive suggestive", await DecisionAsync(post));
        var label = Assert.Single(await platform.Get<LabelStore>().ForPostAsync(post.Id, default));
        Assert.Equal((LabelSource.Policy, LabelDecision.Approve), (label.Source, label.Decision));
        Assert.Contains(await platform.Get<AuditLog>().ForSubjectAsync("post", post.Id.ToString(), default), e => e.Action == "policy.publish-sensitive");
    }

    [Fact]
    public async Task A_suggestive_post_by_an_author_under_eighteen_waits_for_a_person_instead()
    {
        var young = (await platform.Get<AccountRegistry>().RegisterAsync(
            new NewAccount($"y_{Guid.NewGuid():N}"[..20], "Young", TestPasswords.Default, DateTime.UtcNow.Year - 16), [Roles.User], default)).Value;
        var prompt = $"a beach portrait {Guid.NewGuid():N}";
        platform.Service.ByPrompt[prompt] = [ScriptedImageService.Graded("sexual", 2)];
        var post = await platform.SubmitPostAsync(young.Id, PostScannerTests.CleanImage(3), prompt);

        await Scanner.ScanUntilIdleAsync(default);

        var held = await ReloadAsync(post);
        Assert.Equal((PostStatus.Pending, false), (held.Status, held.Sensitive));
        Assert.Equal($"hold {PolicyEngine.MinorAuthorGuard}", await DecisionAsync(post));
        Assert.Equal(1L, await platform.ScalarAsync<long>("select count(*) from moderation.review_tasks where post_id = $1 and state = 'open'", post.Id));
    }

    [Fact]
    public async Task A_likely_violating_post_is_held_in_its_queue_at_its_priority_naming_the_rule_and_the_decision()
    {
        var post = await PostAsync("a crowded street", ScriptedImageService.Graded("violence", 4));

        var report = await Scanner.ScanUntilIdleAsync(default);

        Assert.Equal(1, report.QueuedForReview);
        Assert.Equal(PostStatus.Pending, (await ReloadAsync(post)).Status);
        Assert.Equal("general 70 likely-violating v1 true", await platform.ScalarAsync<string>(
            """
            select t.queue || ' ' || t.priority || ' ' || t.rule_id || ' ' || t.policy_version || ' ' || (t.decision_id = d.id)
            from moderation.review_tasks t join moderation.decisions d on d.post_id = t.post_id and d.mode = 'live'
            where t.post_id = $1
            """, post.Id));
    }

    [Fact]
    public async Task The_highest_severity_is_rejected_and_minor_presence_with_a_sexual_signal_goes_to_the_minor_safety_queue()
    {
        var severe = await PostAsync("a scene", ScriptedImageService.Graded("hate", 6));
        var minors = await PostAsync("a playground", ScriptedImageService.Graded("sexual", 4),
            new Signal(PolicyEngine.MinorPresenceSource, "terms-1", PolicyEngine.MinorPresenceCategory, 1.0));

        await Scanner.ScanUntilIdleAsync(default);

        Assert.Equal(PostStatus.Rejected, (await ReloadAsync(severe)).Status);
        Assert.Equal("reject severe-content-safety", await DecisionAsync(severe));
        Assert.Equal(PostStatus.Pending, (await ReloadAsync(minors)).Status);
        Assert.Equal("minor-safety 100 guard:minor-safety", await platform.ScalarAsync<string>(
            "select queue || ' ' || priority || ' ' || rule_id from moderation.review_tasks where post_id = $1", minors.Id));
    }

    [Fact]
    public async Task A_scan_cut_off_by_a_crash_is_redone_once_its_lease_expires_without_duplicating_anything()
    {
        var post = await PostAsync("a crowded street", ScriptedImageService.Graded("violence", 4));
        await Scanner.ScanUntilIdleAsync(default);
        var signals = await platform.ScalarAsync<long>("select count(*) from moderation.signals where post_id = $1", post.Id);
        // As if a worker had scanned it and died before committing: the message is leasable again.
        await platform.ExecuteAsync(
            "update ingest.outbox set completed_at = null, leased_until = now() - interval '1 second' where subject_id = $1", post.Id);
        await platform.ExecuteAsync("delete from moderation.review_tasks where post_id = $1", post.Id);

        await Scanner.ScanUntilIdleAsync(default);
        await platform.ExecuteAsync(
            "update ingest.outbox set completed_at = null, leased_until = now() - interval '1 second' where subject_id = $1", post.Id);
        await Scanner.ScanUntilIdleAsync(default);

        Assert.True(signals > 0);
        Assert.Equal(signals, await platform.ScalarAsync<long>("select count(*) from moderation.signals where post_id = $1", post.Id));
        Assert.Equal(1L, await platform.ScalarAsync<long>("select count(*) from moderation.review_tasks where post_id = $1", post.Id));
    }

    [Fact]
    public async Task A_draft_in_shadow_decides_every_post_beside_the_active_version_and_never_acts()
    {
        var draft = (await Policies.CreateDraftAsync(Admin, 1, "reject everything, in shadow")).Value;
        _ = (await Policies.SaveDraftAsync(Admin, draft.Version, """{ "rules": [], "default": { "action": "reject" } }""", "reject everything")).Value;
        _ = (await Policies.StartShadowAsync(Admin, draft.Version)).Value;
        try
        {
            var clean = await PostAsync("a meadow");
            var held = await PostAsync("a crowded street", ScriptedImageService.Graded("violence", 4));

            await Scanner.ScanUntilIdleAsync(default);

            Assert.Equal(PostStatus.Published, (await ReloadAsync(clean)).Status);
            Assert.Equal(PostStatus.Pending, (await ReloadAsync(held)).Status);
            Assert.Equal(["reject default"], [await platform.ScalarAsync<string>(
                "select action || ' ' || rule_id from moderation.decisions where post_id = $1 and mode = 'shadow'", clean.Id)]);
            var report = (await Policies.ShadowReportAsync(draft.Version)).Value;
            Assert.Equal((true, 2, 0, 2), (report.Running, report.Evaluated, report.Agreed, report.Disagreed));
            Assert.Equal([("hold", "reject"), ("publish", "reject")],
                report.RecentDisagreements.Select(d => (d.LiveAction, d.ShadowAction)).Order());
            Assert.Contains(await platform.Get<AuditLog>().ForSubjectAsync("policy", draft.Version.ToString(), default), e => e.Action == "policy.shadow.start");
        }
        finally
        {
            _ = (await Policies.StopShadowAsync(Admin, draft.Version)).Value;
        }

        var after = await PostAsync("a field");
        await Scanner.ScanUntilIdleAsync(default);
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.decisions where post_id = $1 and mode = 'shadow'", after.Id));
    }

    [Fact]
    public async Task A_backtest_counts_the_posts_whose_action_would_move_with_examples_on_their_stored_signals()
    {
        var clean = new List<Post>();
        for (var i = 0; i < 7; i++)
        {
            clean.Add(await PostAsync("a quiet lake"));
        }

        var violent = await PostAsync("a crowded street", ScriptedImageService.Graded("violence", 4));
        await Scanner.ScanUntilIdleAsync(default);
        var draft = (await Policies.CreateDraftAsync(Admin, 1, "hold what v1 publishes")).Value;
        var document = draft.Document with
        {
            Rules = [.. draft.Document.Rules.Select(r => r.Id == "clean" ? r with { Then = new PolicyOutcome(PolicyAction.Hold, "general", 40) } : r)],
        };
        _ = (await Policies.SaveDraftAsync(Admin, draft.Version, document.ToJson(), "hold what v1 publishes")).Value;

        var backtest = (await Policies.BacktestAsync(draft.Version, 8)).Value;

        Assert.Equal((8, 7), (backtest.Posts, backtest.Changed));
        var moved = Assert.Single(backtest.Cells, c => c.From != c.To);
        Assert.Equal(("publish", "hold", 7, 5), (moved.From, moved.To, moved.Count, moved.Examples.Count));
        Assert.All(moved.Examples, id => Assert.Contains(clean, p => p.Id == id));
        var kept = Assert.Single(backtest.Cells, c => c.From == c.To);
        Assert.Equal(("hold", 1, violent.Id), (kept.From, kept.Count, kept.Examples.Single()));
        Assert.Equal("changed", Assert.Single((await Policies.DiffAsync(draft.Version, 1)).Value.Rules).Change);
    }
}
