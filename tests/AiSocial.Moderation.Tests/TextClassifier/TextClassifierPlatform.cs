using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Testing;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace AiSocial.Moderation.Tests.TextClassifier;

/// <summary>The platform with 200 posts labelled by a moderator, and an in-memory Quartz scheduler (not started).</summary>
public sealed class TextClassifierPlatform : PlatformFixture
{
    public const int SeededPosts = 200;
    public const int RetrainAfterNewLabels = 12;

    public Actor Moderator { get; private set; } = Actor.System("unset");

    public Actor MlEngineer { get; private set; } = Actor.System("unset");

    private int _generated = SeededPosts;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Moderation:TextClassifier:RetrainAfterNewLabels"] = RetrainAfterNewLabels.ToString();
        settings["Moderation:TextClassifier:RunScheduledRetrain"] = "false";
    }

    protected override void Customize(HostApplicationBuilder builder) => builder.AddQuartz(quartz => quartz.AddModerationJobs());

    protected override async Task StartAsync()
    {
        await base.StartAsync();
        var moderator = await CreateAccountAsync(Roles.Moderator);
        Moderator = new Actor(moderator.Id, moderator.Handle);
        var engineer = await CreateAccountAsync(Roles.MlEngineer);
        MlEngineer = new Actor(engineer.Id, engineer.Handle);
        await LabelledPosts.SeedAsync(this, LabelledPosts.Generate(SeededPosts), Moderator);
    }

    /// <summary>Labels more posts, continuing the same generator so they are new texts.</summary>
    public Task<IReadOnlyList<Guid>> LabelMoreAsync(int count)
    {
        var offset = Interlocked.Add(ref _generated, count) - count;
        return LabelledPosts.SeedAsync(this, LabelledPosts.Generate(count, offset), Moderator);
    }
}
