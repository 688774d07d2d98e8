using System.Text.Json;
using AiSocial.Moderation.Checks;

namespace AiSocial.Moderation.Review;

/// <summary>How a reviewer reads signals: which ones are a concern, and the text the OCR check found in the image.</summary>
public static class SignalReading
{
    // Categories that say what an image is, not that anything is wrong with it.
    private static readonly HashSet<string> Descriptive = ["neutral", "drawing", OcrCheck.TextFoundCategory];

    public static bool IsConcerning(Signal signal) =>
        signal.Score >= 0.5 && !Descriptive.Contains(signal.Category) && !signal.Source.EndsWith(".shadow", StringComparison.Ordinal);

    /// <summary>Signals shown as scores; OCR is shown as the text it found instead.</summary>
    public static bool IsScore(Signal signal) => signal.Source != OcrCheck.SourceName;

    public static string? TextInImage(IEnumerable<Signal> signals) =>
        signals.FirstOrDefault(s => s.Source == OcrCheck.SourceName)?.Detail is { ValueKind: JsonValueKind.Object } detail
        && detail.TryGetProperty("text", out var text) && text.GetString() is { Length: > 0 } found
            ? found
            : null;
}
