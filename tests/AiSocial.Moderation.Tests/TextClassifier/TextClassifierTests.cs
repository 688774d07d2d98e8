using System.Security.Cryptography;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Policy;
using AiSocial.Moderation.Scanning;
using AiSocial.Moderation.TextClassifier;
using AiSocial.Problems;
using AiSocial.SafetyModels;
using AiSocial.Testing;
using Microsoft.Extensions.Options;
using Quartz;
using Xunit.Abstractions;

namespace AiSocial.Moderation.Tests.TextClassifier;

/// <summary>Training from reviewers' labels, the registry's life cycle, ONNX parity, the check and the retrain job, on one seeded database.</summary>
public sealed class TextClassifierTests(TextClassifierPlatform platform, ITestOutputHelper output) : IClassFixture<TextClassifierPlatform>
{
    private const string UnsafeText = "photo of a robot covered in blood and gore";
    private const string SafeText = "photo of a robot at golden hour";

    private TextModelRegistry Registry => platform.Get<TextModelRegistry>();

    private TextClassifierOptions Options => platform.Get<IOptions<TextClassifierOptions>>().Value;

    private async Task<(long Rows, long Positives, long MaxLabelId, string Sha256)> ExpectedSnapshotAsync()
    {
        await using var command = platform.DataSource.CreateCommand(
            """
            select post_id, decision from (
                select distinct on (post_id) post_id, decision from moderation.labels where source = 'human' order by post_id, id desc
            ) l order by post_id
            """);
        await using var reader = await command.ExecuteReaderAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long rows = 0, positives = 0;
        while (await reader.ReadAsync())
        {
            var isUnsafe = reader.GetString(1) != "approve";
            hash.AppendData([.. reader.GetGuid(0).ToByteArray(bigEndian: true), isUnsafe ? (byte)1 : (byte)0]);
            rows++;
            positives += isUnsafe ? 1 : 0;
        }

        return (rows, positives, await platform.ScalarAsync<long>("select max(id) from moderation.labels where source = 'human'"),
            Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    [Fact]
    public async Task Training_stores_a_shadow_version_with_its_snapshot_its_held_out_metrics_and_an_audit_entry()
    {
        var expected = await ExpectedSnapshotAsync();

        var version = (await Registry.TrainAsync(platform.MlEngineer, default)).Value;

        output.WriteLine($"{version.Label}: {version.Snapshot} {version.Metrics} in {version.TrainingTime.TotalMilliseconds:0} ms, {version.OnnxBytes} bytes of ONNX");
        Assert.Equal(TextModelStatus.Shadow, version.Status);
        Assert.Equal(expected, (version.Snapshot.Rows, version.Snapshot.Positives, version.Snapshot.MaxLabelId, version.Snapshot.LabelsSha256));
        Assert.Equal(version.Snapshot.Rows, version.Snapshot.TrainingRows + version.Snapshot.HeldOutRows);
        Assert.InRange(version.Snapshot.HeldOutRows, version.Snapshot.Rows / 10, version.Snapshot.Rows / 3);
        Assert.InRange(version.Metrics.Auc, 0.9, 1.0);
        Assert.InRange(version.Metrics.Precision!.Value, 0.8, 1.0);
        Assert.InRange(version.Metrics.Recall, 0.8, 1.0);
        Assert.InRange(version.Metrics.OnnxMaxDifference, 0, 1e-5);
        var onnx = await Registry.ReadOnnxAsync(version.Version, default);
        Assert.Equal((version.OnnxSha256, version.OnnxBytes), (Convert.ToHexStringLower(SHA256.HashData(onnx)), onnx.Length));
        Assert.Equal([TextClassifierTrainer.OnnxLocale], OnnxStringNormalizerLocale.Read(onnx));
        var audit = Assert.Single(await platform.Get<AuditLog>().ForSubjectAsync("text_model", version.Version.ToString(), default));
        Assert.Equal(("textclf.train", platform.MlEngineer.AccountId), (audit.Action, audit.ActorId));
        Assert.Equal(version.Snapshot.LabelsSha256, audit.Detail.GetProperty("labelsSha256").GetString());
    }

    [Fact]
    public async Task The_same_labels_train_the_same_model_byte_for_byte_and_the_new_version_supersedes_the_shadow()
    {
        var first = (await Registry.TrainAsync(platform.MlEngineer, default)).Value;

        var second = (await Registry.TrainAsync(platform.MlEngineer, default)).Value;

        Assert.Equal(first.Snapshot, second.Snapshot);
        Assert.Equal(first.OnnxSha256, second.OnnxSha256);
        Assert.Equal(second.Version, (await Registry.GetShadowAsync(default))!.Version);
        var superseded = (await Registry.GetAsync(first.Version, default))!;
        Assert.Equal((TextModelStatus.Retired, platform.MlEngineer.Name), (superseded.Status, superseded.RetiredBy));
        Assert.Contains(await platform.Get<AuditLog>().ForSubjectAsync("text_model", first.Version.ToString(), default),
            e => e.Action == "textclf.retire" && e.Detail.GetProperty("reason").GetString() == $"superseded by {second.Label}");
    }

    [Fact]
    public async Task Onnx_runtime_gives_the_probabilities_ml_net_gives_on_varied_texts()
    {
        var trained = new TextClassifierTrainer(Options).Train(await TrainingData.ReadAsync(platform.DataSource, default)).Value;
        using var model = TextClassifierModel.Load(trained.Onnx);
        string[] handWritten =
        [
            "", " ", "\t\n", UnsafeText, SafeText, UnsafeText.ToUpperInvariant(), "CADÁVER ENSANGRENTADO en la calle", "SCÈNE ÉROTIQUE",
            "Ölgemälde von einem Blutbad", "ÖLGEMÄLDE VON EINER KATZE IM SCHNEE", "café crème, château enneigé", "naïve İstanbul skyline",
            "🔪 blood 🩸 gore 💀", "a kitten 🐱 with flowers 🌸", "g.o.r.e b-l-o-o-d n_u_d_e", "nude\u200Bexplicit", "кровь и насилие",
            "血まみれの死体", "دم وعنف", "Ꞵ ẞ ǅ ﬁ ᾼ", "prompt\ncaption\nocr text kill them all", "nul\0char blood", "\uD800 lone surrogate gore",
            string.Concat(Enumerable.Repeat("blood kitten ", 900)), string.Concat(Enumerable.Repeat("sunset ", 2000)),
            "12345 67890", "!!!???...", "oil painting of a castle", "covered", "gore",
        ];
        var generated = LabelledPosts.Generate(40, offset: 5000).Select(p => TextClassifierText.Compose([p.Prompt, p.Caption, p.Ocr]));
        var texts = handWritten.Concat(generated).ToList();

        var pairs = texts.Select(t => (MlNet: trained.PredictWithMlNet(t), Onnx: model.Score(t))).ToList();

        var maxDifference = pairs.Max(p => Math.Abs(p.MlNet - p.Onnx));
        output.WriteLine($"{texts.Count} texts, largest |ONNX − ML.NET| = {maxDifference:G3}; trained in {trained.Duration.TotalMilliseconds:0} ms");
        Assert.True(texts.Count >= 50);
        Assert.InRange(maxDifference, 0, 1e-5);
        Assert.True(pairs.Max(p => p.Onnx) - pairs.Min(p => p.Onnx) > 0.5, "the texts should span the model's range");
        Assert.True(model.Score(UnsafeText) > 0.5 && model.Score(SafeText) < 0.5);
    }

    [Fact]
    public async Task Promoting_makes_the_shadow_version_active_retires_the_one_before_and_is_audited()
    {
        var first = (await Registry.TrainAsync(platform.MlEngineer, default)).Value;
        _ = (await Registry.PromoteAsync(platform.MlEngineer, first.Version, default)).Value;
        var second = (await Registry.TrainAsync(platform.MlEngineer, default)).Value;

        var promoted = (await Registry.PromoteAsync(platform.MlEngineer, second.Version, default)).Value;

        Assert.Equal((TextModelStatus.Active, platform.MlEngineer.Name), (promoted.Status, promoted.PromotedBy));
        Assert.Equal(second.Version, (await Registry.GetActiveAsync(default))!.Version);
        Assert.Null(await Registry.GetShadowAsync(default));
        Assert.Equal(TextModelStatus.Retired, (await Registry.GetAsync(first.Version, default))!.Status);
        var audit = platform.Get<AuditLog>();
        var promotion = Assert.Single(await audit.ForSubjectAsync("text_model", second.Version.ToString(), default), e => e.Action == "textclf.promote");
        Assert.Equal(first.Version, promotion.Detail.GetProperty("previous").GetInt64());
        Assert.Contains(await audit.ForSubjectAsync("text_model", first.Version.ToString(), default),
            e => e.Action == "textclf.retire" && e.ActorId == platform.MlEngineer.AccountId);
        Assert.Equal(1L, await platform.ScalarAsync<long>("select count(*) from moderation.text_models where status = 'active'"));
    }

    [Fact]
    public async Task Only_a_shadow_version_can_be_promoted_and_a_retired_one_stays_retired()
    {
        var version = (await Registry.TrainAsync(platform.MlEngineer, default)).Value;
        _ = (await Registry.RetireAsync(platform.MlEngineer, version.Version, "not good enough", default)).Value;

        var again = await Registry.PromoteAsync(platform.MlEngineer, version.Version, default).AssertRefusedAsync();
        var retireAgain = await Registry.RetireAsync(platform.MlEngineer, version.Version, "twice", default).AssertRefusedAsync();
        var unknown = await Registry.PromoteAsync(platform.MlEngineer, 999_999, default).AssertRefusedAsync();

        Assert.Equal((ModerationProblems.AlreadyDecided, ModerationProblems.AlreadyDecided, CommonProblems.NotFound), (again.Problem, retireAgain.Problem, unknown.Problem));
        Assert.Equal(TextModelStatus.Retired, (await Registry.GetAsync(version.Version, default))!.Status);
        var retirement = Assert.Single(await platform.Get<AuditLog>().ForSubjectAsync("text_model", version.Version.ToString(), default),
            e => e.Action == "textclf.retire");
        Assert.Equal("not good enough", retirement.Detail.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_posts_latest_human_label_decides_its_class_policy_labels_are_ignored_and_its_ocr_text_is_read()
    {
        var ids = await platform.LabelMoreAsync(4); // alternating: unsafe, safe, unsafe, safe
        var relabelled = ids[1];
        await platform.ExecuteAsync(
            """
            insert into moderation.labels (post_id, source, reviewer_id, decision, policy_version)
            values ($1, 'human', $2, 'remove', 'baseline-1')
            """, relabelled, platform.Moderator.AccountId!.Value);
        await platform.ExecuteAsync(
            "insert into moderation.labels (post_id, source, decision, policy_version) values ($1, 'policy', 'reject', 'baseline-1')", ids[3]);
        await platform.ExecuteAsync(
            """insert into moderation.signals (post_id, source, model_version, category, score, detail) values ($1, 'ocr', 'v2', 'text', 0, '{"text": "WELCOME TO HELL"}')""",
            ids[3]);
        var unlabelled = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, prompt: "never reviewed");
        await platform.Get<PostScanner>().ScanUntilIdleAsync(default);

        var rows = (await TrainingData.ReadAsync(platform.DataSource, default)).ToDictionary(r => r.PostId);

        Assert.True(rows[relabelled].Unsafe);
        Assert.False(rows[ids[3]].Unsafe);
        Assert.EndsWith("\nWELCOME TO HELL", rows[ids[3]].Text);
        Assert.DoesNotContain(unlabelled.Id, rows.Keys);
    }

    [Fact]
    public async Task The_check_scores_with_the_active_and_the_shadow_version_and_the_policy_acts_on_neither_shadow_signal()
    {
        var active = (await Registry.TrainAsync(platform.MlEngineer, default)).Value;
        _ = (await Registry.PromoteAsync(platform.MlEngineer, active.Version, default)).Value;
        var shadow = (await Registry.TrainAsync(platform.MlEngineer, default)).Value;
        var check = Assert.Single(platform.Get<IEnumerable<IPostCheck>>().OfType<TextClassifierCheck>());
        using var subject = new CheckSubject(new string('0', 64), TestImages.Png(), [new SubjectText("prompt", "photo of a castle"), new SubjectText("caption", "")]);
        subject.AddText("ocr", "Blutbad mit Leichen");

        var signals = await check.RunAsync(subject, default);

        Assert.False(check.Required);
        Assert.Equal(CheckReads.Text, check.Reads);
        Assert.Equal([(TextClassifierCheck.SourceName, active.Label), (TextClassifierCheck.ShadowSourceName, shadow.Label)],
            signals.Select(s => (s.Source, s.ModelVersion)));
        using var model = TextClassifierModel.Load(await Registry.ReadOnnxAsync(shadow.Version, default));
        var expected = model.Score("photo of a castle\nBlutbad mit Leichen");
        Assert.All(signals, s => Assert.Equal(expected, s.Score, 1e-6));
        Assert.All(signals, s => Assert.Equal(TextClassifierCheck.Category, s.Category));
        Assert.True(expected > 0.5);
        Assert.Equal("shadow", signals[1].Detail!.Value.GetProperty("status").GetString());
        // The shipped policy (the fixture activated one that holds every post, for its reviewers' labels).
        var policy = (await platform.Get<PolicyStore>().GetAsync(1, default))!;
        (PolicyAction, string) Decide(params Signal[] read)
        {
            var decision = PolicyEngine.Evaluate(policy.Version, policy.Document, new PolicyInput(read, [], new PostFacts(30, 0, 0, 30)));
            return (decision.Action, decision.RuleId);
        }

        Assert.Equal(Decide(), Decide(signals[1] with { Score = 1.0 }));
        Assert.NotEqual(Decide(), Decide(signals[0] with { Score = 1.0 }));

        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, prompt: UnsafeText);
        await platform.Get<PostScanner>().ScanUntilIdleAsync(default);
        Assert.Equal(2L, await platform.ScalarAsync<long>(
            "select count(*) from moderation.signals where post_id = $1 and source like 'text-classifier%' and category = 'unsafe_text'", post.Id));
    }

    [Fact]
    public async Task The_check_gives_no_signal_without_a_version_in_service_but_is_unavailable_when_a_version_cannot_load()
    {
        foreach (var version in (await Registry.ListAsync(default)).Where(v => v.Status != TextModelStatus.Retired))
        {
            _ = (await Registry.RetireAsync(platform.MlEngineer, version.Version, "test", default)).Value;
        }

        var check = Assert.Single(platform.Get<IEnumerable<IPostCheck>>().OfType<TextClassifierCheck>());
        using var subject = new CheckSubject(new string('0', 64), TestImages.Png(), [new SubjectText("prompt", UnsafeText)]);

        Assert.Empty(await check.RunAsync(subject, default));
        Assert.Empty(platform.Get<TextClassifierScorer>().LoadedVersions());

        var broken = (await Registry.TrainAsync(platform.MlEngineer, default)).Value;
        await platform.ExecuteAsync("update moderation.text_models set onnx_sha256 = $2 where id = $1", broken.Version, new string('0', 64));
        try
        {
            using var freshScorer = new TextClassifierScorer(Registry, platform.Get<IOptions<ModelOptions>>());
            await Assert.ThrowsAsync<ModelUnavailableException>(() => new TextClassifierCheck(freshScorer).RunAsync(subject, default));
        }
        finally
        {
            _ = (await Registry.RetireAsync(platform.MlEngineer, broken.Version, "test", default)).Value;
        }
    }

    [Fact]
    public async Task The_retrain_job_trains_once_enough_new_human_labels_arrived_and_always_when_forced()
    {
        var job = platform.Get<TextClassifierRetrainJob>();
        _ = (await Registry.TrainAsync(platform.MlEngineer, default)).Value;
        Assert.Null(await job.RunAsync(force: false, default));

        await platform.LabelMoreAsync(TextClassifierPlatform.RetrainAfterNewLabels - 1);
        var notYet = await job.RunAsync(force: false, default);
        await platform.LabelMoreAsync(1);
        var retrained = await job.RunAsync(force: false, default);
        var afterwards = await job.RunAsync(force: false, default);
        var forced = await job.RunAsync(force: true, default);

        Assert.Null(notYet);
        Assert.NotNull(retrained);
        Assert.Equal(await platform.ScalarAsync<long>("select max(id) from moderation.labels where source = 'human'"), retrained.Snapshot.MaxLabelId);
        Assert.Equal(("system:text-classifier-retrain", TextModelStatus.Retired), (retrained.TrainedBy, (await Registry.GetAsync(retrained.Version, default))!.Status));
        Assert.Null(afterwards);
        Assert.Equal(forced!.Version, (await Registry.GetShadowAsync(default))!.Version);
        Assert.Equal(0L, await Registry.CountNewLabelsAsync(default));
    }

    [Fact]
    public async Task Triggering_the_job_now_trains_through_the_scheduler_even_with_no_new_labels()
    {
        var schedulers = platform.Get<ISchedulerFactory>();
        var scheduler = await schedulers.GetScheduler();
        await scheduler.Start();
        try
        {
            var before = (await Registry.ListAsync(default)).Select(v => v.Version).DefaultIfEmpty(0).Max();

            await TextClassifierRetrainJob.TriggerNowAsync(schedulers, default);

            var deadline = DateTime.UtcNow.AddMinutes(2);
            TextModelVersion? trained;
            while ((trained = await Registry.GetShadowAsync(default)) is null || trained.Version <= before)
            {
                Assert.True(DateTime.UtcNow < deadline, "the triggered job did not store a version");
                await Task.Delay(100);
            }

            Assert.Equal("system:text-classifier-retrain", trained.TrainedBy);
        }
        finally
        {
            await scheduler.Standby();
        }
    }
}
