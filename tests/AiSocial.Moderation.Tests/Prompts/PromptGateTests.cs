using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Prompts;
using AiSocial.Moderation.Tests.TextClassifier;
using AiSocial.Moderation.TextClassifier;
using AiSocial.Testing;

namespace AiSocial.Moderation.Tests.Prompts;

/// <summary>The platform with 200 labelled posts to train the text classifier on, and the prompt gate refusing from 0.5.</summary>
public sealed class PromptGatePlatform : PlatformFixture
{
    public Actor MlEngineer { get; private set; } = Actor.System("unset");

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Moderation:TextClassifier:RunScheduledRetrain"] = "false";
        settings["Moderation:PromptGate:ClassifierThreshold"] = "0.5";
    }

    protected override async Task StartAsync()
    {
        await base.StartAsync();
        var moderator = await CreateAccountAsync(Roles.Moderator);
        var engineer = await CreateAccountAsync(Roles.MlEngineer);
        MlEngineer = new Actor(engineer.Id, engineer.Handle);
        await LabelledPosts.SeedAsync(this, LabelledPosts.Generate(200), new Actor(moderator.Id, moderator.Handle));
    }
}

public sealed class PromptGateTests(PromptGatePlatform platform) : IClassFixture<PromptGatePlatform>
{
    private const string UnsafeText = "photo of a robot covered in blood and gore";
    private const string SafeText = "photo of a robot at golden hour";

    private PromptGate Gate => platform.Get<PromptGate>();

    private static PromptSubject Prompt(string prompt, string? negative = null) => new(Guid.NewGuid(), prompt, negative);

    [Fact]
    public async Task The_text_classifier_refuses_prompts_only_while_a_version_is_active_naming_category_score_and_version()
    {
        var registry = platform.Get<TextModelRegistry>();
        Assert.Null((await Gate.CheckAsync(Prompt(UnsafeText), default)).Refusal);

        var trained = (await registry.TrainAsync(platform.MlEngineer, default)).Value;
        Assert.Null((await Gate.CheckAsync(Prompt(UnsafeText), default)).Refusal); // a shadow version is never acted on

        (await registry.PromoteAsync(platform.MlEngineer, trained.Version, default)).Value.ToString();
        var refusal = (await Gate.CheckAsync(Prompt(UnsafeText), default)).Refusal;
        Assert.NotNull(refusal);
        Assert.Equal("prompt_refused", refusal.Problem.Code);
        var why = refusal.Extensions!;
        Assert.Equal(("text-classifier", "text-classifier", "unsafe_text", trained.Label, "prompt"),
            (why["check"], why["rule"], why["category"], why["version"], why["field"]));
        Assert.InRange(Convert.ToDouble(why["score"]), 0.5, 1.0);
        Assert.Contains(trained.Label, refusal.Detail);

        Assert.Null((await Gate.CheckAsync(Prompt(SafeText), default)).Refusal);
        var negative = (await Gate.CheckAsync(Prompt(SafeText, UnsafeText), default)).Refusal;
        Assert.Equal("negativePrompt", negative?.Extensions?["field"]);

        // The blocklist runs first: a prompt both would refuse is refused by the blocklist, which names its term.
        (await platform.Get<PromptBlocklist>().AddAsync(Actor.System("test"), "gore", "violence", default)).Value.ToString();
        var both = (await Gate.CheckAsync(Prompt(UnsafeText), default)).Refusal;
        Assert.Equal(("blocklist", "violence", "gore"), (both?.Extensions?["check"], both?.Extensions?["rule"], both?.Extensions?["term"]));

        (await registry.RetireAsync(platform.MlEngineer, trained.Version, "test", default)).Value.ToString();
        Assert.Null((await Gate.CheckAsync(Prompt("photo of a robot covered in blood"), default)).Refusal);
    }

    [Theory]
    [InlineData("  Crème-BRÛLÉE!! ", "creme brulee")]
    [InlineData("kill\tall\n", "kill all")]
    [InlineData("ＦＵＬＬＷＩＤＴＨ", "fullwidth")]
    [InlineData("İstanbul", "istanbul")]
    [InlineData("...", "")]
    [InlineData("don't", "don t")]
    public void Terms_and_prompts_are_normalised_alike(string text, string normalised) =>
        Assert.Equal(normalised, PromptBlocklist.Normalize(text));

    [Fact]
    public async Task Blocked_terms_match_whole_words_only_and_changes_take_effect_at_once()
    {
        var blocklist = platform.Get<PromptBlocklist>();
        (await blocklist.AddAsync(Actor.System("test"), "kill all", "violence", default)).Value.ToString();

        Assert.NotNull(await blocklist.FindInAsync("Then: KILL  ALL of them", default));
        Assert.Null(await blocklist.FindInAsync("skill all day", default));
        Assert.Null(await blocklist.FindInAsync("kill allegedly", default));
        var refused = await blocklist.AddAsync(Actor.System("test"), "Kill-All", "violence", default);
        Assert.Equal("conflict", refused.Refusal?.Problem.Code);
        Assert.Equal("validation-failed", (await blocklist.AddAsync(Actor.System("test"), "!!!", "violence", default)).Refusal?.Problem.Code);

        (await blocklist.RemoveAsync(Actor.System("test"), "kill all", default)).Value.ToString();
        Assert.Null(await blocklist.FindInAsync("Then: KILL  ALL of them", default));
    }
}
