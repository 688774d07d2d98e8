using System.Text.Json;
using AiSocial.SafetyModels;
using AiSocial.SafetyModels.Ocr;

namespace AiSocial.Moderation.Checks;

/// <summary>
/// Reads the text in a post's image and hands it to the text checks (text in AI images is a common way around prompt
/// filters). The signal says whether any text was found; its detail holds the lines and where they are.
/// </summary>
internal sealed class OcrCheck(LoadedModel<OcrEngine> engine) : IPostCheck
{
    public const string SourceName = "ocr";
    public const string TextFoundCategory = "text_found";
    public const string TextField = "ocr";

    public string Source => SourceName;

    public string SettingsKey => "Ocr";

    public CheckReads Reads => CheckReads.Image;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(30);

    public Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var ocr = engine.Get();
        var result = ocr.Read(subject.Image, cancellationToken);
        subject.AddText(TextField, result.Text);
        var detail = JsonSerializer.SerializeToElement(OcrReport.Of(result), JsonSerializerOptions.Web);
        IReadOnlyList<Signal> signals = [new Signal(Source, ocr.Version, TextFoundCategory, result.Lines.Count > 0 ? 1.0 : 0.0, detail)];
        return Task.FromResult(signals);
    }
}
