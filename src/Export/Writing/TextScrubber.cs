using System.Text.RegularExpressions;

namespace AiSocial.Export.Writing;

/// <summary>
/// Replaces personal details in exported text with a placeholder naming their kind (<c>[email]</c>, <c>[phone]</c>,
/// <c>[url]</c>, <c>[handle]</c>) and counts each. Emails go first so their '@' is not taken for a handle, URLs before
/// phones so digits in a path are not taken for a number.
/// </summary>
internal sealed partial class TextScrubber
{
    public const string Emails = "emails";
    public const string Phones = "phones";
    public const string Urls = "urls";
    public const string Handles = "handles";

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")]
    private static partial Regex Email();

    [GeneratedRegex(@"\b(?:https?://|www\.)[^\s<>""]+", RegexOptions.IgnoreCase)]
    private static partial Regex Url();

    // A run of 7–15 digits, optionally with a leading '+' and single spaces, dots, dashes or parentheses between groups.
    [GeneratedRegex(@"(?<![\w+])\+?\(?\d(?:[\d\s().-]{5,18}\d)(?!\w)")]
    private static partial Regex Phone();

    [GeneratedRegex(@"(?<![\w@])@[A-Za-z0-9_]{2,30}\b")]
    private static partial Regex Handle();

    private readonly long[] _counts = new long[4];

    public IReadOnlyDictionary<string, long> Counts => new SortedDictionary<string, long>(StringComparer.Ordinal)
    {
        [Emails] = _counts[0],
        [Phones] = _counts[1],
        [Urls] = _counts[2],
        [Handles] = _counts[3],
    };

    /// <summary>Everything replaced so far, as one value: what a row's scrubbing replaced is the difference of two.</summary>
    public ScrubCounts Total => new(_counts[0], _counts[1], _counts[2], _counts[3]);

    /// <summary>Takes counts back out: those of text that was scrubbed and then not written after all.</summary>
    public void Remove(ScrubCounts counts)
    {
        _counts[0] -= counts.Emails;
        _counts[1] -= counts.Phones;
        _counts[2] -= counts.Urls;
        _counts[3] -= counts.Handles;
    }

    public string? Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        text = Replace(text, Email(), 0, "[email]");
        text = Replace(text, Url(), 2, "[url]");
        text = Replace(text, Phone(), 1, "[phone]", IsPhone);
        return Replace(text, Handle(), 3, "[handle]");
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex Date();

    // A number written as one is written to be dialled: grouped or international. Bare digit runs (seeds, ids) and dates are not.
    private static bool IsPhone(string match)
    {
        var digits = match.Count(char.IsAsciiDigit);
        return digits is >= 7 and <= 15 && (match.StartsWith('+') || match.Any(c => c is ' ' or '-' or '.' or '(')) && !Date().IsMatch(match);
    }

    private string Replace(string text, Regex pattern, int kind, string placeholder, Func<string, bool>? accept = null) =>
        pattern.Replace(text, match =>
        {
            if (accept is not null && !accept(match.Value))
            {
                return match.Value;
            }

            _counts[kind]++;
            return placeholder;
        });
}

/// <summary>How many emails, phone numbers, URLs and handles scrubbing replaced.</summary>
internal readonly record struct ScrubCounts(long Emails, long Phones, long Urls, long Handles)
{
    public static ScrubCounts operator +(ScrubCounts a, ScrubCounts b) =>
        new(a.Emails + b.Emails, a.Phones + b.Phones, a.Urls + b.Urls, a.Handles + b.Handles);

    public static ScrubCounts operator -(ScrubCounts a, ScrubCounts b) =>
        new(a.Emails - b.Emails, a.Phones - b.Phones, a.Urls - b.Urls, a.Handles - b.Handles);
}
