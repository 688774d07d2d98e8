using System.Globalization;
using System.Text;

namespace AiSocial.Ingest.Text;

/// <summary>One word of a text as matching sees it, and where it stands in the original (UTF-16 offsets).</summary>
public readonly record struct Word(string Text, int Start, int End);

/// <summary>
/// Text as term matching reads it, shared by the prompt blocklist, the minor-safety terms and creators' opt-outs: lower
/// case, without diacritics (compatibility decomposition, combining marks dropped), every run of characters that are
/// not letters or digits a single word break. Each word keeps its place in the original, so a match can be cut out.
/// </summary>
public static class WordText
{
    /// <summary>The words of <paramref name="text"/>; <paramref name="transliterate"/> also spells letters without a decomposition in Latin (see <see cref="Transliteration"/>).</summary>
    public static IReadOnlyList<Word> Words(string text, bool transliterate = false)
    {
        var words = new List<Word>();
        var current = new StringBuilder();
        var start = -1;
        var end = 0;
        Span<char> decomposed = stackalloc char[32];
        for (var index = 0; index < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(index), out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                rune = Rune.ReplacementChar;
            }

            var source = rune.ToString();
            var parts = source.IsNormalized(NormalizationForm.FormKD) ? source : source.Normalize(NormalizationForm.FormKD);
            foreach (var part in parts.EnumerateRunes())
            {
                if (Rune.GetUnicodeCategory(part) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
                {
                    continue;
                }

                if (!Rune.IsLetterOrDigit(part))
                {
                    Flush();
                    continue;
                }

                var lower = Rune.ToLowerInvariant(part);
                if (start < 0)
                {
                    start = index;
                }

                current.Append(transliterate && Transliteration.Latin(lower) is { } latin ? latin : lower.ToString());
                end = index + consumed;
            }

            index += consumed;
        }

        Flush();
        return words;

        void Flush()
        {
            if (current.Length > 0)
            {
                words.Add(new Word(current.ToString(), start, end));
                current.Clear();
            }

            start = -1;
        }
    }

    /// <summary>The words of <paramref name="text"/> joined by single spaces: "  Crème-BRÛLÉE!! " becomes "creme brulee".</summary>
    public static string Normalize(string text, bool transliterate = false) => string.Join(' ', Words(text, transliterate).Select(w => w.Text));
}

/// <summary>
/// Latin spellings of letters that have no decomposition to strip: German ß, Nordic æ ø å (å decomposes already),
/// ligatures, Polish ł, Croatian đ, Icelandic þ ð, dotless ı, and Russian and Ukrainian Cyrillic by the common
/// (BGN/PCGN-like) scheme. Letters with a decomposition (é, ü, ñ, й, ё) lose their marks before this is asked.
/// </summary>
internal static class Transliteration
{
    private static readonly Dictionary<int, string> Map = new()
    {
        ['ß'] = "ss",
        ['æ'] = "ae",
        ['œ'] = "oe",
        ['ø'] = "o",
        ['ł'] = "l",
        ['đ'] = "d",
        ['ð'] = "d",
        ['þ'] = "th",
        ['ı'] = "i",
        ['ĸ'] = "k",
        ['ŋ'] = "ng",
        ['ħ'] = "h",
        ['ŧ'] = "t",
        ['а'] = "a",
        ['б'] = "b",
        ['в'] = "v",
        ['г'] = "g",
        ['д'] = "d",
        ['е'] = "e",
        ['ж'] = "zh",
        ['з'] = "z",
        ['и'] = "i",
        ['к'] = "k",
        ['л'] = "l",
        ['м'] = "m",
        ['н'] = "n",
        ['о'] = "o",
        ['п'] = "p",
        ['р'] = "r",
        ['с'] = "s",
        ['т'] = "t",
        ['у'] = "u",
        ['ф'] = "f",
        ['х'] = "kh",
        ['ц'] = "ts",
        ['ч'] = "ch",
        ['ш'] = "sh",
        ['щ'] = "shch",
        ['ъ'] = "",
        ['ы'] = "y",
        ['ь'] = "",
        ['э'] = "e",
        ['ю'] = "yu",
        ['я'] = "ya",
        ['і'] = "i",
        ['є'] = "ye",
        ['ґ'] = "g",
    };

    /// <summary>The Latin spelling of a lower-case letter, or null when it has none here (it is kept as it is).</summary>
    public static string? Latin(Rune letter) => Map.TryGetValue(letter.Value, out var latin) ? latin : null;
}
