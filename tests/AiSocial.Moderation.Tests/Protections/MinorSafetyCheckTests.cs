using System.Text.Json;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Protections;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;

namespace AiSocial.Moderation.Tests.Protections;

/// <summary>The minor-presence check against the seeded terms in a real database.</summary>
public sealed class MinorSafetyCheckTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private MinorSafetyCheck Check => platform.Get<IEnumerable<IPostCheck>>().OfType<MinorSafetyCheck>().Single();

    private async Task<Signal> RunAsync(params (string Field, string Text)[] texts)
    {
        using var subject = new CheckSubject(new string('0', 64), [], texts.Select(t => new SubjectText(t.Field, t.Text)));
        return Assert.Single(await Check.RunAsync(subject, default));
    }

    private static IReadOnlyList<(string Field, string Term)> Matches(Signal signal) =>
        [.. signal.Detail!.Value.GetProperty("matches").EnumerateArray().Select(m => (m.GetProperty("field").GetString()!, m.GetProperty("term").GetString()!))];

    [Theory]
    [InlineData("a little girl on a beach", "little girl")] // English
    [InlineData("una niña jugando en el parque", "niña")] // Spanish
    [InlineData("une fillette dans un jardin", "fillette")] // French
    [InlineData("ein kleines Mädchen im Garten", "kleines Mädchen")] // German
    [InlineData("uma criança na praia", "criança")] // Portuguese
    [InlineData("una bambina al mare", "bambina")] // Italian
    [InlineData("loli art, detailed", "loli")] // a euphemism
    [InlineData("she is barely legal", "barely legal")]
    public async Task A_term_about_children_in_each_language_scores_1_and_is_named(string prompt, string term)
    {
        var signal = await RunAsync(("prompt", prompt));

        Assert.Equal((MinorSafetyCheck.SourceName, MinorSafetyCheck.Category, 1.0), (signal.Source, signal.Category, signal.Score));
        Assert.Contains(("prompt", term), Matches(signal));
    }

    [Theory]
    [InlineData("portrait, 12 years old", 12)]
    [InlineData("portrait of a 12-year-old", 12)]
    [InlineData("13yo, studio light", 13)]
    [InlineData("girl 14 y/o", 14)]
    [InlineData("retrato, 11 años", 11)]
    [InlineData("portrait, 10 ans", 10)]
    [InlineData("ritratto, 9 anni", 9)]
    [InlineData("Foto, 15 Jahre alt", 15)]
    [InlineData("aged 16, smiling", 16)]
    public async Task An_age_under_18_written_as_a_number_is_found(string prompt, int age)
    {
        var signal = await RunAsync(("prompt", prompt));

        Assert.Equal(1.0, signal.Score);
        var match = Assert.Single(signal.Detail!.Value.GetProperty("matches").EnumerateArray());
        Assert.Equal(age, match.GetProperty("age").GetInt32());
        Assert.Equal("age", match.GetProperty("language").GetString());
    }

    [Theory]
    [InlineData("a 25 year old woman reading")] // an adult
    [InlineData("a 100 years old oak")]
    [InlineData("a 2012 ans vintage poster")] // a year, not an age
    [InlineData("a kidney shaped pool")] // "kid" inside a longer word
    [InlineData("a skidding car at night")]
    [InlineData("minority report style poster")] // "minor" inside a longer word
    [InlineData("the teenth hour, a steampunk clock")]
    [InlineData("a portrait of Antonino Rossi")] // "nino" inside a longer word
    [InlineData("a portrait of a woman in the rain")]
    public async Task Longer_words_adults_and_years_are_not_hits(string prompt)
    {
        var signal = await RunAsync(("prompt", prompt));

        Assert.Equal(0.0, signal.Score);
        Assert.Empty(Matches(signal));
    }

    [Theory]
    [InlineData("LITTLE   GIRL")]
    [InlineData("little-girl!")]
    [InlineData("Little_Girl")]
    [InlineData("NIÑA")]
    [InlineData("nina")]
    [InlineData("École: écolière.")]
    public async Task Case_diacritics_punctuation_and_spacing_do_not_hide_a_term(string text)
    {
        Assert.Equal(1.0, (await RunAsync(("caption", text))).Score);
    }

    [Fact]
    public async Task Prompt_caption_alt_text_and_text_in_the_image_are_all_read_and_each_match_names_its_field()
    {
        var signal = await RunAsync(("prompt", "a garden"), ("caption", "with the kids"), (CheckSubject.AltTextField, "a toddler smiling"),
            (OcrCheck.TextField, "SCHOOLGIRL"));

        Assert.Equal([("caption", "kids"), (CheckSubject.AltTextField, "toddler"), (OcrCheck.TextField, "schoolgirl")], Matches(signal));
    }

    [Fact]
    public async Task A_term_staff_add_is_found_on_the_next_post_and_the_change_is_audited()
    {
        var admin = await platform.CreateAccountAsync(Roles.Admin);
        var actor = new Actor(admin.Id, admin.Handle);
        var terms = platform.Get<MinorSafetyTerms>();
        Assert.Equal(0.0, (await RunAsync(("prompt", "a pequeñito in a hat"))).Score);

        var added = (await terms.AddAsync(actor, "Pequeñito", "es", default)).Value;

        Assert.Equal(1.0, (await RunAsync(("prompt", "a PEQUENITO in a hat"))).Score);
        Assert.Equal(1L, await platform.ScalarAsync<long>(
            "select count(*) from ingest.audit_log where action = 'minor-safety-terms.add' and subject_id = $1 and actor_id = $2",
            added.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), admin.Id));
        Assert.NotNull((await terms.AddAsync(actor, "pequenito!", "es", default)).Refusal); // the same once normalised
        Assert.NotNull((await terms.AddAsync(actor, "...", "es", default)).Refusal);
        Assert.NotNull((await terms.AddAsync(actor, "bambolo", "Italian", default)).Refusal);

        (await terms.RemoveAsync(actor, "pequeñito", default)).Value.ToString();
        Assert.Equal(0.0, (await RunAsync(("prompt", "a pequeñito in a hat"))).Score);
    }

    [Fact]
    public async Task A_scanned_post_gets_a_minor_presence_signal_from_its_prompt()
    {
        var author = await platform.CreateAccountAsync();
        var post = await platform.SubmitPostAsync(author.Id, prompt: $"a boy, 12 years old, flying a kite {Guid.NewGuid():N}");

        await platform.Get<PostScanner>().ScanUntilIdleAsync(default);

        var signal = Assert.Single((await platform.Get<SignalStore>().ForPostsAsync([post.Id], default))[post.Id],
            s => s.Source == MinorSafetyCheck.SourceName);
        Assert.Equal((MinorSafetyCheck.Category, 1.0), (signal.Category, signal.Score));
        Assert.Equal(JsonValueKind.Array, signal.Detail!.Value.GetProperty("matches").ValueKind);
    }
}
