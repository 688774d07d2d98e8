using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.TextClassifier;
using AiSocial.Testing;

namespace AiSocial.Moderation.Tests.TextClassifier;

public sealed class TrainingRefusalPlatform : PlatformFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Moderation:TextClassifier:MinimumLabelledPosts"] = "10";
        settings["Moderation:TextClassifier:MinimumPerClass"] = "3";
        settings["Moderation:TextClassifier:RetrainAfterNewLabels"] = "1";
    }
}

public sealed class TrainingRefusalTests(TrainingRefusalPlatform platform) : IClassFixture<TrainingRefusalPlatform>
{
    private async Task AssertNothingStoredAsync()
    {
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.text_models"));
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from ingest.audit_log where action like 'textclf.%'"));
    }

    [Fact]
    public async Task Training_is_refused_with_too_few_labels_or_one_class_only_and_nothing_is_stored()
    {
        var moderator = await platform.CreateAccountAsync(Roles.Moderator);
        var actor = new Actor(moderator.Id, moderator.Handle);
        var registry = platform.Get<TextModelRegistry>();
        var job = platform.Get<TextClassifierRetrainJob>();
        var safe = LabelledPosts.Generate(30).Where(p => !p.Unsafe).ToList();

        var empty = await registry.TrainAsync(actor, default).AssertRefusedAsync();
        await LabelledPosts.SeedAsync(platform, safe[..6], actor);
        var tooFew = await registry.TrainAsync(actor, default).AssertRefusedAsync();
        await LabelledPosts.SeedAsync(platform, safe[6..], actor);
        var oneClass = await registry.TrainAsync(actor, default).AssertRefusedAsync();

        Assert.Contains("at least 10 posts with a human label; there are 0", empty.Detail);
        Assert.Contains("there are 6", tooFew.Detail);
        Assert.Contains("0 taken down and 15 approved", oneClass.Detail);
        Assert.Null(await job.RunAsync(force: true, default));
        Assert.Null(await job.RunAsync(force: false, default));
        await AssertNothingStoredAsync();
    }
}
