using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace AiSocial.SafetyModels.Ocr;

/// <summary>One line of text found in an image, with where it is (original pixels) and how sure the recogniser is.</summary>
public sealed record OcrLine(string Text, float Confidence, TextQuad Box);

/// <summary>The lines found in an image, in reading order.</summary>
public sealed record OcrResult(IReadOnlyList<OcrLine> Lines)
{
    /// <summary>The lines joined with newlines.</summary>
    public string Text => string.Join('\n', Lines.Select(line => line.Text));

    /// <summary>How many batches the recognition model ran: none when detection found no text.</summary>
    public int RecognitionRuns { get; init; }

    public TimeSpan DetectionTime { get; init; }

    public TimeSpan RecognitionTime { get; init; }
}

/// <summary>
/// PaddleOCR PP-OCRv4 on ONNX Runtime: detection, then recognition only where text was found. Safe to share: each
/// model has one session that serves concurrent callers.
/// </summary>
public sealed class OcrEngine : IDisposable
{
    public const string DefaultVersion = "ppocr-v4";

    /// <summary>Lines read with less confidence than this are dropped as noise (PaddleOCR's own cut-off).</summary>
    public const float MinConfidence = 0.5f;

    private readonly TextDetector _detector;
    private readonly TextRecognizer _recognizer;

    public OcrEngine(string detectionModelPath, string recognitionModelPath, string keysPath, int intraOpThreads = 0)
        : this(new TextDetector(detectionModelPath, intraOpThreads), () => new TextRecognizer(recognitionModelPath, keysPath, intraOpThreads), DefaultVersion)
    {
    }

    private OcrEngine(TextDetector detector, Func<TextRecognizer> recognizer, string version)
    {
        _detector = detector;
        try
        {
            _recognizer = recognizer();
        }
        catch
        {
            detector.Dispose();
            throw;
        }

        Version = version;
    }

    /// <summary>The models' version, as signals record it.</summary>
    public string Version { get; }

    public TextDetector Detector => _detector;

    public TextRecognizer Recognizer => _recognizer;

    /// <summary>The engine for the models in the verified manifest of <see cref="ModelOptions.Directory"/>.</summary>
    public static OcrEngine FromManifest(ModelOptions options)
    {
        var manifest = ModelManifest.LoadVerified(options.Directory, ModelNames.OcrDetection, ModelNames.OcrRecognition);
        var detection = manifest.Get(ModelNames.OcrDetection);
        var recognition = manifest.Get(ModelNames.OcrRecognition);
        IReadOnlyList<string> keys = recognition.LabelsFile is { } labelsFile
            ? TextRecognizer.ReadKeys(Path.Combine(options.Directory, labelsFile))
            : recognition.Labels;
        var version = detection.Version == recognition.Version ? $"{DefaultVersion}/{detection.Version}" : $"{DefaultVersion}/{detection.Version}+{recognition.Version}";
        return new OcrEngine(
            new TextDetector(Path.Combine(options.Directory, detection.File), options.IntraOpThreads),
            () => new TextRecognizer(Path.Combine(options.Directory, recognition.File), keys, options.IntraOpThreads),
            version);
    }

    /// <summary>The text in an image: lines in reading order, low-confidence reads dropped.</summary>
    public OcrResult Read(SKBitmap image, CancellationToken cancellationToken = default)
    {
        using var pixels = OcrImage.From(image);
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        var view = pixels.View;
        var started = Stopwatch.GetTimestamp();
        var boxes = _detector.Detect(view, runOptions, cancellationToken);
        var detectionTime = Stopwatch.GetElapsedTime(started);
        if (boxes.Count == 0)
        {
            return new OcrResult([]) { DetectionTime = detectionTime };
        }

        started = Stopwatch.GetTimestamp();
        var texts = _recognizer.Recognize(view, boxes, runOptions, cancellationToken, out var runs);
        var recognitionTime = Stopwatch.GetElapsedTime(started);
        var lines = new List<OcrLine>(boxes.Count);
        for (var i = 0; i < boxes.Count; i++)
        {
            if (texts[i].Text.Length > 0 && texts[i].Confidence >= MinConfidence)
            {
                lines.Add(new OcrLine(texts[i].Text, texts[i].Confidence, boxes[i]));
            }
        }

        return new OcrResult(lines) { RecognitionRuns = runs, DetectionTime = detectionTime, RecognitionTime = recognitionTime };
    }

    public void Dispose()
    {
        _detector.Dispose();
        _recognizer.Dispose();
    }
}

/// <summary>One line of an <see cref="OcrReport"/>: text, confidence to 4 places, box corners to 0.1 pixel.</summary>
public sealed record OcrReportLine(string Text, float Confidence, float[][] Box);

/// <summary>What OCR found, as the OCR check's signal detail and <c>aisocial models check</c> report it.</summary>
public sealed record OcrReport(string Text, IReadOnlyList<OcrReportLine> Lines)
{
    public static OcrReport Of(OcrResult result) =>
        new(result.Text, [.. result.Lines.Select(line => new OcrReportLine(line.Text, MathF.Round(line.Confidence, 4),
            [.. line.Box.ToArray().Select(p => new[] { MathF.Round(p[0], 1), MathF.Round(p[1], 1) })]))]);
}
