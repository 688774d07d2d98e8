using System.Text.Json;
using AiSocial.Moderation.Checks;
using Microsoft.Extensions.Options;

namespace AiSocial.Moderation.ContentSafety;

/// <summary>How the service's category names become signal categories: lower case, <c>SelfHarm</c> as <c>self-harm</c>, unknown names kept.</summary>
internal static class ContentSafetyCategories
{
    public static string ToSignalCategory(string serviceName) =>
        string.Equals(serviceName, "SelfHarm", StringComparison.OrdinalIgnoreCase) ? "self-harm" : serviceName.ToLowerInvariant();

    public static double Score(int severity) => Math.Clamp(severity, 0, ContentSafetyClient.MaxSeverity) / (double)ContentSafetyClient.MaxSeverity;
}

/// <summary>
/// Content Safety's text analysis of every text of a post (prompt, caption, alt text, and the text OCR found in the
/// image): one signal per category with its worst severity over the texts and the field it came from, and a
/// <c>blocklist</c> signal (1 on a hit of the project's blocklist, naming the term and field).
/// </summary>
internal sealed class ContentSafetyTextCheck(ContentSafetyClient client, IOptions<ContentSafetyOptions> options) : IPostCheck
{
    public const string SourceName = "contentsafety.text";
    public const string BlocklistCategory = "blocklist";

    public string Source => SourceName;

    public string SettingsKey => "ContentSafetyText";

    public CheckReads Reads => CheckReads.Text;

    public bool Required => true;

    // Each text is one call, long ones several in turn; the client's own timeout bounds each call.
    public TimeSpan Timeout => TimeSpan.FromSeconds(options.Value.TimeoutSeconds * 2);

    public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var blocklists = new[] { options.Value.BlocklistName };
        var texts = subject.Texts;
        var analyses = await Task.WhenAll(texts.Select(text => client.AnalyzeTextAsync(text.Text, blocklists, cancellationToken)));

        var signals = new List<Signal>();
        var categories = analyses.SelectMany(a => a.Categories).Select(c => c.Category).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var name in categories)
        {
            var graded = texts.Zip(analyses)
                .Select(pair => (pair.First.Field, pair.Second.Categories.FirstOrDefault(c => string.Equals(c.Category, name, StringComparison.OrdinalIgnoreCase))?.Severity))
                .Where(pair => pair.Severity is not null)
                .Select(pair => (pair.Field, Severity: pair.Severity!.Value))
                .ToList();
            if (graded.Count == 0)
            {
                continue;
            }

            var worst = graded.MaxBy(pair => pair.Severity);
            var detail = JsonSerializer.SerializeToElement(new
            {
                field = worst.Field,
                serviceCategory = name,
                severities = graded.Select(pair => new { field = pair.Field, severity = pair.Severity }).ToArray(),
                parts = analyses.Sum(a => a.Parts),
            });
            signals.Add(new Signal(Source, client.ApiVersion, ContentSafetyCategories.ToSignalCategory(name), ContentSafetyCategories.Score(worst.Severity),
                detail, worst.Severity));
        }

        var matches = texts.Zip(analyses)
            .SelectMany(pair => pair.Second.BlocklistMatches.Select(m => new { field = pair.First.Field, blocklist = m.BlocklistName, itemId = m.BlocklistItemId, text = m.BlocklistItemText }))
            .ToArray();
        signals.Add(new Signal(Source, client.ApiVersion, BlocklistCategory, matches.Length > 0 ? 1.0 : 0.0,
            JsonSerializer.SerializeToElement(new { blocklist = options.Value.BlocklistName, matches })));
        return signals;
    }
}

/// <summary>
/// Content Safety's image analysis (four levels: 0, 2, 4, 6), one signal per category. The image is first fitted to
/// the service's limits; what was done (scaled, re-encoded, padded) is in each signal's detail.
/// </summary>
internal sealed class ContentSafetyImageCheck(ContentSafetyClient client, IOptions<ContentSafetyOptions> options) : IPostCheck
{
    public const string SourceName = "contentsafety.image";

    public string Source => SourceName;

    public string SettingsKey => "ContentSafetyImage";

    public CheckReads Reads => CheckReads.Image;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(options.Value.TimeoutSeconds + 10);

    public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var prepared = ContentSafetyImage.Prepare(subject.ImageBytes, subject.Image);
        var categories = await client.AnalyzeImageAsync(prepared.Bytes, cancellationToken);
        var sent = new
        {
            action = prepared.Action,
            original = new { width = prepared.OriginalWidth, height = prepared.OriginalHeight, bytes = prepared.OriginalBytes },
            sent = new { width = prepared.Width, height = prepared.Height, bytes = prepared.Bytes.Length },
        };
        return [.. categories.Where(c => c.Severity is not null).Select(c => new Signal(Source, client.ApiVersion,
            ContentSafetyCategories.ToSignalCategory(c.Category), ContentSafetyCategories.Score(c.Severity!.Value),
            JsonSerializer.SerializeToElement(new { serviceCategory = c.Category, image = sent }), c.Severity))];
    }
}

/// <summary>Protected material (lyrics, articles, recipes and other known text) in a post's prompt and caption: one signal, 1 when found.</summary>
internal sealed class ContentSafetyProtectedMaterialCheck(ContentSafetyClient client, IOptions<ContentSafetyOptions> options) : IPostCheck
{
    public const string SourceName = "contentsafety.protected-material";
    public const string Category = "protected-material";

    private static readonly string[] Fields = ["prompt", "caption"];

    public string Source => SourceName;

    public string SettingsKey => "ContentSafetyProtectedMaterial";

    public CheckReads Reads => CheckReads.Text;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(options.Value.TimeoutSeconds * 2);

    public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var texts = subject.Texts.Where(t => Fields.Contains(t.Field)).ToList();
        var found = await Task.WhenAll(texts.Select(t => client.DetectProtectedMaterialAsync(t.Text, cancellationToken)));
        var detected = texts.Zip(found).Where(pair => pair.Second).Select(pair => pair.First.Field).ToArray();
        var detail = JsonSerializer.SerializeToElement(new { detectedIn = detected, checkedFields = texts.Select(t => t.Field).ToArray() });
        return [new Signal(Source, client.ApiVersion, Category, detected.Length > 0 ? 1.0 : 0.0, detail)];
    }
}
