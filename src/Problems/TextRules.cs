using System.Globalization;
using System.Text;

namespace AiSocial.Problems;

/// <summary>Marks a text field that may hold several lines: tabs and line breaks are allowed in it, other control characters never.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class MultiLineTextAttribute : Attribute;

/// <summary>
/// What the platform accepts as text, for every text field: no NUL or other control characters (tab and line breaks
/// only where a field holds several lines), no unpaired surrogates, no U+FFFD standing in for bytes that were not
/// UTF-8. Text shown to other people (names, prompts, captions, comments) must also show something, may not reorder
/// itself with bidirectional overrides, and is stored in Unicode normalisation form C.
/// </summary>
public static class TextRules
{
    /// <summary>What is wrong with the text as a value of a field, or null when it is well formed.</summary>
    public static string? Problem(string text, bool multiLine)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return "contains half of a surrogate pair (text that is not valid Unicode)";
            }

            if (c == '\0')
            {
                return "contains a NUL character (U+0000)";
            }

            if (char.IsControl(c) && !(multiLine && c is '\t' or '\n' or '\r'))
            {
                return $"contains the control character U+{(int)c:X4}{(multiLine ? "" : "; it holds one line")}";
            }

            if (c == '\uFFFD')
            {
                return "contains U+FFFD, which stands for bytes that were not valid UTF-8";
            }
        }

        return null;
    }

    /// <summary>
    /// What is wrong with text other people will see, or null; <paramref name="stored"/> is then the text as it is kept:
    /// trimmed, line breaks as <c>\n</c>, in normalisation form C. Beyond <see cref="Problem"/>, such text may not hold
    /// bidirectional overrides or isolates, and must show something once spaces and invisible characters are set aside.
    /// </summary>
    public static string? DisplayProblem(string text, bool multiLine, out string stored)
    {
        stored = "";
        if (Problem(text, multiLine) is { } problem)
        {
            return problem;
        }

        if (text.IndexOfAny(BidiControls) >= 0)
        {
            return "contains a bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069), which can make text read differently from what it says";
        }

        stored = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Trim().Normalize(NormalizationForm.FormC);
        return stored.Any(IsVisible) ? null : "has nothing visible in it, only spaces or invisible characters";
    }

    private static readonly char[] BidiControls = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];

    // Format characters (zero-width spaces and joiners, soft hyphens, word joiners, BOMs) show nothing, nor do spaces.
    private static bool IsVisible(char c) =>
        !char.IsWhiteSpace(c) && char.GetUnicodeCategory(c) is not (UnicodeCategory.Format or UnicodeCategory.Control or UnicodeCategory.NonSpacingMark)
        && c is not ('\u115F' or '\u1160' or '\u3164' or '\uFFA0'); // Hangul fillers render as blanks
}
