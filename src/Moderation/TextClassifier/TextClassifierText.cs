using System.Buffers;

namespace AiSocial.Moderation.TextClassifier;

/// <summary>
/// The one way a post's texts become the classifier's input, in training and in serving alike. <see cref="Prepare"/>
/// removes the places where ML.NET and the exported ONNX graph would read the same string differently: ML.NET works
/// on UTF-16 code units and lower-cases with .NET's tables, ONNX Runtime on code points with the C library's.
/// </summary>
internal static class TextClassifierText
{
    /// <summary>Longer texts are cut here: the start of a prompt carries the subject, and scoring cost stays bounded.</summary>
    public const int MaxLength = 4096;

    private const char Replacement = '\uFFFD';
    private const int PrivateUseStart = 0xE000;
    private const int PrivateUseCount = 0xF8FF - 0xE000 + 1;

    /// <summary>Prompt, caption and OCR text, in that order, joined with newlines; blank parts are left out.</summary>
    public static string Compose(IEnumerable<string?> parts) => string.Join('\n', parts.Where(p => !string.IsNullOrWhiteSpace(p)));

    /// <summary>
    /// Lower-cases (with the Turkish dotted capital I folded to i, which the C library folds and .NET does not), maps
    /// every code point above the BMP onto one private-use character (so an emoji stays one token on both sides),
    /// turns whitespace and control characters into single spaces, trims, and cuts at <see cref="MaxLength"/>.
    /// </summary>
    public static string Prepare(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var buffer = ArrayPool<char>.Shared.Rent(Math.Min(text.Length, MaxLength));
        try
        {
            var length = 0;
            var pendingSpace = false;
            for (var i = 0; i < text.Length && length < MaxLength; i++)
            {
                var c = text[i];
                if (char.IsWhiteSpace(c) || char.IsControl(c))
                {
                    pendingSpace = length > 0;
                    continue;
                }

                if (pendingSpace)
                {
                    buffer[length++] = ' ';
                    pendingSpace = false;
                    if (length == MaxLength)
                    {
                        break;
                    }
                }

                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    var codePoint = char.ConvertToUtf32(c, text[i + 1]);
                    buffer[length++] = (char)(PrivateUseStart + ((codePoint - 0x10000) % PrivateUseCount));
                    i++;
                }
                else if (char.IsSurrogate(c))
                {
                    buffer[length++] = Replacement;
                }
                else
                {
                    buffer[length++] = c == '\u0130' ? 'i' : char.ToLowerInvariant(c);
                }
            }

            return new string(buffer, 0, length);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }
}
