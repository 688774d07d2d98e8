using AiSocial.SafetyModels;
using AiSocial.SafetyModels.Ocr;

namespace AiSocial.Testing;

/// <summary>The real PP-OCRv4 models from AISOCIAL_MODELS: through the manifest when it lists them, else by their file names.</summary>
public sealed class OcrModels : IDisposable
{
    public const string DetectionFile = "ppocr-v4-det.onnx";
    public const string RecognitionFile = "ppocr-v4-rec.onnx";
    public const string KeysFile = "ppocr-keys-v1.txt";

    public OcrModels()
    {
        Directory = Environment.GetEnvironmentVariable("AISOCIAL_MODELS") is { Length: > 0 } directory
            ? directory
            : throw new InvalidOperationException("AISOCIAL_MODELS is not set: prepare the models (./aisocial models) and point it at them.");
        Engine = ModelManifest.TryLoad(Directory)?.Models.Any(m => m.Name == ModelNames.OcrRecognition) == true
            ? OcrEngine.FromManifest(new ModelOptions { Directory = Directory })
            : new OcrEngine(Path.Combine(Directory, DetectionFile), Path.Combine(Directory, RecognitionFile), Path.Combine(Directory, KeysFile));
    }

    public string Directory { get; }

    public OcrEngine Engine { get; }

    public void Dispose() => Engine.Dispose();
}
