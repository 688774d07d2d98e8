using AiSocial.Ingest.Creators;
using AiSocial.Ingest.Text;

namespace AiSocial.Ingest.Tests;

/// <summary>How creators' names are compared with prompts, captions and the rest: pure functions, no database.</summary>
public sealed class CreatorNamesTests
{
    [Theory]
    [InlineData("Ségolène", "segolene")]                 // diacritics
    [InlineData("  GREG   Rutkowski ", "greg rutkowski")] // case and spacing
    [InlineData("Greg-Rutkowski", "greg rutkowski")]     // punctuation
    [InlineData("greg_rutkowski!!", "greg rutkowski")]
    [InlineData("Straße", "strasse")]                    // ß
    [InlineData("Æsa Ødegård", "aesa odegard")]          // æ, ø and å
    [InlineData("Łukasz Żak", "lukasz zak")]             // ł has no decomposition; ż has
    [InlineData("Илья Репин", "ilya repin")]            // Cyrillic
    [InlineData("Шишкин", "shishkin")]
    [InlineData("Юрий Щукин", "yurii shchukin")]         // й decomposes to и
    [InlineData("Müller", "muller")]                     // an umlaut loses its marks like any accent
    [InlineData("ＡＬＰＨＯＮＳＥ ﬁne", "alphonse fine")]     // full-width letters and ligatures
    [InlineData("...", "")]
    public void Names_are_normalised(string text, string normalized)
    {
        Assert.Equal(normalized, CreatorNames.Normalize(text));
    }

    [Theory]
    [InlineData("a portrait by Ségolène Dupont", "Segolene DUPONT")]
    [InlineData("castle, greg-rutkowski style", "Greg Rutkowski")]
    [InlineData("castle in the style of Greg Rutkowski's", "greg rutkowski")]
    [InlineData("drawn like Mueller", "Müller")]         // ü written ue
    [InlineData("drawn like Muller", "Müller")]          // ü written u
    [InlineData("drawn like Müller", "Mueller")]         // registered as ue
    [InlineData("drawn like Muller", "Mueller")]
    [InlineData("a Strasse at night", "Straße")]
    [InlineData("портрет, Илья Репин", "Ilya Repin")]   // Cyrillic in the text, Latin registered
    [InlineData("portrait, ilya repin", "Илья Репин")]  // and the other way round
    [InlineData("by ØYVIND Sørensen", "oyvind sorensen")]
    public void A_registered_phrase_is_found_whatever_its_spelling(string text, string phrase)
    {
        Assert.True(CreatorNames.ContainsPhrase(CreatorNames.Normalize(text), CreatorNames.Normalize(phrase)));
    }

    [Theory]
    [InlineData("a great artist at work", "art")]        // whole words only
    [InlineData("a gregarious rutkowski", "greg rutkowski")]
    [InlineData("rutkowski greg", "greg rutkowski")]    // the words in order
    [InlineData("greg and rutkowski", "greg rutkowski")] // and next to each other
    [InlineData("a painting", "")]                       // an empty phrase matches nothing
    [InlineData("", "greg")]
    public void Other_words_are_not_a_match(string text, string phrase)
    {
        Assert.False(CreatorNames.ContainsPhrase(CreatorNames.Normalize(text), CreatorNames.Normalize(phrase)));
    }

    [Theory]
    [InlineData("a castle by Greg Rutkowski, at dusk", "a castle by, at dusk")]
    [InlineData("Greg-Rutkowski's castle", "castle")]
    [InlineData("GREG RUTKOWSKI", "")]
    [InlineData("greg rutkowski and GREG   rutkowski again", "and again")]
    [InlineData("a castle\nby greg rutkowski\nin fog", "a castle\nby\nin fog")]
    [InlineData("a castle by gregory rutkowski", "a castle by gregory rutkowski")] // nothing to remove: unchanged
    public void Removing_a_phrase_cuts_it_out_as_written(string text, string expected)
    {
        Assert.Equal(expected, CreatorNames.Remove(text, CreatorNames.Normalize("Greg Rutkowski")));
    }

    [Theory]
    [InlineData("  Crème-BRÛLÉE!! ", "creme brulee")]
    [InlineData("Straße", "straße")] // the blocklist's normalisation does not transliterate: its stored terms stay as they were
    [InlineData("kleines Mädchen", "kleines madchen")]
    public void The_shared_word_normalisation_without_transliteration_is_the_blocklists(string text, string normalized)
    {
        Assert.Equal(normalized, WordText.Normalize(text));
    }

    [Fact]
    public void Words_keep_their_place_in_the_original()
    {
        var words = WordText.Words("Hi, Zoë-Ann!");

        Assert.Equal([new Word("hi", 0, 2), new Word("zoe", 4, 7), new Word("ann", 8, 11)], words);
    }
}
