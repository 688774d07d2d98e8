namespace AiSocial.Moderation.ContentSafety;

/// <summary>
/// Cuts text the service would refuse as too long (over 10,000 characters) into parts it takes, each cut at the best
/// boundary near the limit: a blank line, else a line end, else a sentence end, else a space, else anywhere that does
/// not split a surrogate pair. Nothing is dropped or repeated: the parts joined are the text.
/// </summary>
internal static class TextSplitter
{
    private static readonly string[] SentenceEnds = [". ", "! ", "? ", "。", "！", "？", "; "];

    public static IReadOnlyList<string> Split(string text, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var parts = new List<string>();
        var start = 0;
        while (text.Length - start > maxLength)
        {
            var cut = Cut(text, start, maxLength);
            parts.Add(text[start..cut]);
            start = cut;
        }

        parts.Add(text[start..]);
        return parts;
    }

    /// <summary>Where the part that begins at <paramref name="start"/> ends: after a boundary, and never in its first half.</summary>
    private static int Cut(string text, int start, int maxLength)
    {
        var window = text.AsSpan(start, maxLength);
        // A boundary early in the window would make many small parts, each a request; only the second half is searched.
        var earliest = maxLength / 2;
        foreach (var boundary in (ReadOnlySpan<string>)["\n\n", "\n"])
        {
            var at = window.LastIndexOf(boundary, StringComparison.Ordinal);
            if (at >= earliest)
            {
                return start + at + boundary.Length;
            }
        }

        var sentence = -1;
        foreach (var end in SentenceEnds)
        {
            var at = window.LastIndexOf(end, StringComparison.Ordinal);
            if (at >= 0)
            {
                sentence = Math.Max(sentence, at + end.Length);
            }
        }

        if (sentence > earliest)
        {
            return start + sentence;
        }

        var space = window.LastIndexOfAny(' ', '\t', '\u3000');
        if (space >= earliest)
        {
            return start + space + 1;
        }

        return char.IsHighSurrogate(window[^1]) ? start + maxLength - 1 : start + maxLength;
    }
}
