using System.Text;
using AiSocial.Ingest.Text;

namespace AiSocial.Ingest.Creators;

/// <summary>
/// How creators' names, aliases and style phrases are compared with what people write. <see cref="Normalize"/> sets
/// aside case, diacritics, spacing and punctuation and spells common letters in Latin ("Ségolène" is "segolene",
/// "Greg-Rutkowski" is "greg rutkowski", "Straße" is "strasse", "Øyvind" is "oyvind", "Репин" is "repin").
/// <see cref="ContainsPhrase"/> matches whole words only ("art" is not in "artist") and reads German ä, ö, ü written as
/// ae, oe, ue as the same letter, so "Müller", "Mueller" and "Muller" are one name. (The price: a name that differs
/// from another only by such an e, as Michael and Michal, matches it too.)
/// </summary>
public static class CreatorNames
{
    /// <summary>Lower case, no diacritics, transliterated, words separated by single spaces; empty when the text has no letters or digits.</summary>
    public static string Normalize(string text) => WordText.Normalize(text, transliterate: true);

    /// <summary>Whether <paramref name="normalizedPhrase"/> occurs in <paramref name="normalizedText"/> as whole words (both as <see cref="Normalize"/> gives them).</summary>
    public static bool ContainsPhrase(string normalizedText, string normalizedPhrase)
    {
        var phrase = normalizedPhrase.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (phrase.Length == 0)
        {
            return false;
        }

        var words = normalizedText.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return Find(words, phrase, 0) >= 0;
    }

    /// <summary>
    /// The text with every whole-word occurrence of the phrase cut out, as the writer spelled it, and the spacing left
    /// behind tidied: "a castle by Greg Rutkowski, at dusk" without "greg rutkowski" is "a castle by, at dusk".
    /// </summary>
    public static string Remove(string text, string normalizedPhrase)
    {
        var phrase = normalizedPhrase.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (phrase.Length == 0)
        {
            return text;
        }

        var words = WordText.Words(text, transliterate: true);
        var texts = words.Select(w => w.Text).ToArray();
        var kept = new StringBuilder(text.Length);
        var from = 0;
        for (var at = Find(texts, phrase, 0); at >= 0; at = Find(texts, phrase, at + phrase.Length))
        {
            kept.Append(text, from, words[at].Start - from);
            var last = at + phrase.Length - 1;
            from = words[last].End;
            // A possessive goes with the name: "Rutkowski's" leaves nothing behind.
            if (last + 1 < words.Count && words[last + 1].Text == "s" && text.AsSpan(from, words[last + 1].Start - from) is "'" or "’")
            {
                from = words[last + 1].End;
            }
        }

        if (from == 0)
        {
            return text;
        }

        kept.Append(text, from, text.Length - from);
        return Tidy(kept.ToString());
    }

    /// <summary>Where the phrase starts in the words at or after <paramref name="from"/>, or -1.</summary>
    private static int Find(IReadOnlyList<string> words, string[] phrase, int from)
    {
        for (var start = from; start + phrase.Length <= words.Count; start++)
        {
            var matches = true;
            for (var i = 0; i < phrase.Length && matches; i++)
            {
                matches = SameWord(words[start + i], phrase[i]);
            }

            if (matches)
            {
                return start;
            }
        }

        return -1;
    }

    private static bool SameWord(string word, string phrase) =>
        word == phrase || (word.Length != phrase.Length && UmlautFolded(word) == UmlautFolded(phrase));

    /// <summary>ae, oe, ue as a, o, u: how German writes ä, ö, ü without them (the umlauts themselves lost their marks already).</summary>
    private static string UmlautFolded(string word) =>
        word.Contains("ae", StringComparison.Ordinal) || word.Contains("oe", StringComparison.Ordinal) || word.Contains("ue", StringComparison.Ordinal)
            ? word.Replace("ae", "a", StringComparison.Ordinal).Replace("oe", "o", StringComparison.Ordinal).Replace("ue", "u", StringComparison.Ordinal)
            : word;

    /// <summary>Spaces left doubled or before punctuation by a cut, and commas, colons and semicolons left at either end, are removed; line breaks are kept.</summary>
    private static string Tidy(string text)
    {
        var lines = text.Split('\n').Select(line =>
        {
            var single = string.Join(' ', line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
            foreach (var mark in new[] { ",", ".", ";", ":", "!", "?", ")" })
            {
                single = single.Replace(" " + mark, mark, StringComparison.Ordinal);
            }

            return single.Trim().Trim(',', ';', ':').Trim();
        });
        return string.Join('\n', lines).Trim();
    }
}
