using System.Globalization;
using System.Text;

namespace AiSocial.Ingest.Creators;

/// <summary>
/// STAND-IN until branch issue11-optouts is merged, which owns this file: the contract's two calls (lower case, no
/// diacritics, punctuation as spaces, single spaces; whole-word phrase match). The merge replaces it with theirs.
/// </summary>
public static class CreatorNames
{
    public static string Normalize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            builder.Append(char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : ' ');
        }

        return string.Join(' ', builder.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    public static bool ContainsPhrase(string normalizedText, string normalizedPhrase) =>
        normalizedPhrase.Length > 0 && $" {normalizedText} ".Contains($" {normalizedPhrase} ", StringComparison.Ordinal);
}
