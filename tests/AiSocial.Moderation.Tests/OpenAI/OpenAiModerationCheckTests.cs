using System.Text.Json;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.OpenAI;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;

namespace AiSocial.Moderation.Tests.OpenAI;

/// <summary>The platform with OpenAI moderation pointed at the loopback double, a two-second timeout.</summary>
public sealed class PlatformWithOpenAiModeration : PlatformFixture
{
    public const string Key = "sk-test-not-a-real-key";
    public const string Model = "omni-moderation-latest";

    public ModerationsApiDouble Api { get; private set; } = null!;

    protected override async Task StartAsync()
    {
        Api = await ModerationsApiDouble.StartAsync();
        await base.StartAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Moderation:OpenAI:Endpoint"] = Api.Endpoint.ToString();
        settings["Moderation:OpenAI:Key"] = Key;
        settings["Moderation:OpenAI:Model"] = Model;
        settings["Moderation:OpenAI:TimeoutSeconds"] = "2";
    }

    protected override async ValueTask StopAsync()
    {
        await base.StopAsync();
        await Api.DisposeAsync();
    }
}

public sealed class OpenAiModerationCheckTests(PlatformWithOpenAiModeration platform) : IClassFixture<PlatformWithOpenAiModeration>
{
    private IPostCheck Check => Assert.Single(platform.Get<CheckRunner>().Checks, c => c.Source == OpenAiModerationCheck.SourceName);

    /// <summary>Runs only the OpenAI check, through the runner (its timeout, its failure handling), on a subject with every kind of text.</summary>
    private async Task<(CheckResult Result, JsonElement? Sent)> RunAsync(string prompt, byte[]? image = null)
    {
        using var subject = new CheckSubject(new string('0', 64), image ?? TestImages.Png(seed: 11),
            [new SubjectText("prompt", prompt), new SubjectText("caption", "my caption"), new SubjectText("altText", "an alt text")]);
        subject.AddText("ocr", "words in the picture");
        var result = Assert.Single(await new CheckRunner([Check]).RunAsync(subject, default));
        var sent = platform.Api.Requests.Where(r => ModerationsApiDouble.TextOf(r.Body).StartsWith(prompt, StringComparison.Ordinal))
            .Select(r => (JsonElement?)r.Body).LastOrDefault();
        return (result, sent);
    }

    [Fact]
    public async Task Configured_it_is_registered_as_an_optional_check_that_reads_text_and_image()
    {
        Assert.False(Check.Required);
        Assert.Equal((CheckReads.Image | CheckReads.Text, TimeSpan.FromSeconds(2)), (Check.Reads, Check.Timeout));
        Assert.Equal("OpenAI", ((OpenAiModerationCheck)Check).SettingsKey);
    }

    [Fact]
    public async Task Every_category_the_service_scores_becomes_a_signal_with_its_score_and_whether_it_was_flagged()
    {
        var (result, _) = await RunAsync("a calm lake at dawn");

        Assert.True(result.Available, result.UnavailableReason);
        Assert.Equal(ModerationsApiDouble.Scores.Keys.Order(StringComparer.Ordinal), result.Signals.Select(s => s.Category).Order(StringComparer.Ordinal));
        foreach (var signal in result.Signals)
        {
            Assert.Equal((OpenAiModerationCheck.SourceName, ModerationsApiDouble.AnsweredModel), (signal.Source, signal.ModelVersion));
            Assert.Equal(ModerationsApiDouble.Scores[signal.Category], signal.Score, 1e-6);
            Assert.Equal(signal.Score > 0.5, signal.Detail!.Value.GetProperty("flagged").GetBoolean());
        }

        var sexual = result.Signals.Single(s => s.Category == "sexual");
        Assert.Equal(["image", "text"], sexual.Detail!.Value.GetProperty("inputTypes").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains(result.Signals, s => s.Category == ModerationsApiDouble.UnknownCategory && Math.Abs(s.Score - 0.33) < 1e-6);
    }

    [Fact]
    public async Task The_request_names_the_model_and_carries_the_prompt_caption_alt_text_ocr_text_and_the_image_as_a_data_url()
    {
        var image = TestImages.Png(80, 60, seed: 5);

        var (_, sent) = await RunAsync("a red kite over hills", image);

        Assert.NotNull(sent);
        var body = sent.Value;
        Assert.Equal(PlatformWithOpenAiModeration.Model, body.GetProperty("model").GetString());
        var parts = body.GetProperty("input").EnumerateArray().ToList();
        Assert.Equal(["text", "image_url"], parts.Select(p => p.GetProperty("type").GetString()));
        var text = parts[0].GetProperty("text").GetString()!;
        foreach (var expected in new[] { "a red kite over hills", "my caption", "an alt text", "words in the picture" })
        {
            Assert.Contains(expected, text);
        }

        var url = parts[1].GetProperty("image_url").GetProperty("url").GetString()!;
        Assert.StartsWith("data:image/png;base64,", url);
        Assert.Equal(image, Convert.FromBase64String(url["data:image/png;base64,".Length..]));
        var request = platform.Api.Requests.Last(r => ModerationsApiDouble.TextOf(r.Body).StartsWith("a red kite", StringComparison.Ordinal));
        Assert.Equal($"Bearer {PlatformWithOpenAiModeration.Key}", request.Authorization);
    }

    [Theory]
    [InlineData("unauthorized", "401 (invalid_api_key)")]
    [InlineData("busy", "429 (rate_limit_exceeded)")]
    [InlineData("fail", "500")]
    [InlineData("noresults", "answer could not be read")]
    [InlineData("noscores", "without category scores")]
    public async Task An_error_answer_makes_the_check_unavailable_with_the_reason_and_no_scores_after_one_request(string word, string reason)
    {
        var prompt = $"{word} {Guid.NewGuid():N}";

        var (result, _) = await RunAsync(prompt);

        Assert.False(result.Available);
        Assert.Contains(reason, result.UnavailableReason);
        Assert.Empty(result.Signals);
        // No retries inside one scan: the scanner decides when to try the post again.
        Assert.Single(platform.Api.Requests, r => ModerationsApiDouble.TextOf(r.Body).StartsWith(prompt, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_service_that_never_answers_leaves_the_check_unavailable_after_its_timeout_never_safe()
    {
        var (result, _) = await RunAsync($"hang {Guid.NewGuid():N}");

        Assert.False(result.Available);
        Assert.Equal("timed out after 2 s", result.UnavailableReason);
        Assert.Empty(result.Signals);
        Assert.True(result.Duration < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_scanned_post_keeps_the_services_signals_and_an_outage_of_this_optional_check_does_not_hold_it()
    {
        var author = await platform.CreateAccountAsync();
        var answered = await platform.SubmitPostAsync(author.Id, prompt: "a quiet harbour");
        var failed = await platform.SubmitPostAsync(author.Id, prompt: $"fail {Guid.NewGuid():N}");

        await platform.Get<PostScanner>().ScanUntilIdleAsync(default);

        Assert.Equal((long)ModerationsApiDouble.Scores.Count, await platform.ScalarAsync<long>(
            "select count(*) from moderation.signals where post_id = $1 and source = 'openai'", answered.Id));
        Assert.Equal(0.91, await platform.ScalarAsync<double>(
            "select score::float8 from moderation.signals where post_id = $1 and source = 'openai' and category = 'sexual'", answered.Id), 1e-6);
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.signals where post_id = $1 and source = 'openai'", failed.Id));
        // Decided on its first attempt, not retried: the required checks all ran.
        Assert.True(await platform.ScalarAsync<bool>(
            "select completed_at is not null and attempts = 1 from ingest.outbox where subject_id = $1", failed.Id));
    }
}

public sealed class OpenAiModerationUnconfiguredTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    [Fact]
    public void Without_an_endpoint_or_key_the_check_is_absent()
    {
        Assert.DoesNotContain(platform.Get<CheckRunner>().Checks, c => c.Source == OpenAiModerationCheck.SourceName);
        Assert.Contains(platform.Get<CheckRunner>().Checks, c => c.Source == NsfwCheck.SourceName);
    }

    [Fact]
    public void An_endpoint_without_a_key_stops_the_host_with_the_settings_name()
    {
        using var host = PlatformFixture.BuildHost(new Dictionary<string, string?>
        {
            ["ConnectionStrings:aisocial"] = platform.ConnectionString,
            ["Media:Root"] = platform.MediaRoot,
            ["Models:Directory"] = TestModels.Directory,
            ["Moderation:OpenAI:Endpoint"] = "http://127.0.0.1:9/v1",
        });

        var failure = Assert.ThrowsAny<Exception>(() => host.Services.GetService(typeof(CheckRunner)));

        Assert.Contains("Moderation:OpenAI:Key is not set", failure.Message);
    }
}
