using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiSocial.SafetyModels;

/// <summary>A tensor a model takes or gives: name, element type, shape (-1 where any size goes).</summary>
public sealed record TensorDescription(string Name, string ElementType, IReadOnlyList<long> Shape);

/// <summary>The npm package a model came from.</summary>
public sealed record ModelSource(string Package, string Version, string Path);

/// <summary>One model file: what it is, where it came from, its SHA-256, what it takes and gives.</summary>
public sealed record ModelEntry(
    string Name,
    string Version,
    string File,
    string Sha256,
    ModelSource Source,
    IReadOnlyList<TensorDescription> Inputs,
    IReadOnlyList<TensorDescription> Outputs,
    IReadOnlyList<string> Labels,
    string? LabelsFile = null);

/// <summary>
/// <c>manifest.json</c> in the models directory: every prepared model with its provenance and checksum. Loading it
/// verifies each file's SHA-256, so a model that changed on disk is refused rather than silently used.
/// </summary>
public sealed record ModelManifest(int FormatVersion, IReadOnlyList<ModelEntry> Models)
{
    public const string FileName = "manifest.json";
    public const int CurrentFormat = 1;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public ModelEntry Get(string name) =>
        Models.FirstOrDefault(m => m.Name == name)
        ?? throw new ModelUnavailableException($"The model manifest has no model named '{name}'; run ./aisocial models.");

    public static string PathIn(string directory) => System.IO.Path.Combine(directory, FileName);

    public static ModelManifest? TryLoad(string directory)
    {
        var path = PathIn(directory);
        if (!System.IO.File.Exists(path))
        {
            return null;
        }

        var manifest = JsonSerializer.Deserialize<ModelManifest>(System.IO.File.ReadAllText(path), Json);
        return manifest is { FormatVersion: CurrentFormat } ? manifest : null;
    }

    /// <summary>
    /// Loads the manifest and checks files against their recorded SHA-256: those of the named models, or every file
    /// when none is named. A model that fails the check is refused; the others stay usable.
    /// </summary>
    public static ModelManifest LoadVerified(string directory, params string[] names)
    {
        if (string.IsNullOrEmpty(directory))
        {
            throw new ModelUnavailableException("No models directory is configured (Models:Directory, environment variable Models__Directory); run ./aisocial models.");
        }

        var manifest = TryLoad(directory)
            ?? throw new ModelUnavailableException($"No model manifest in {directory}; run ./aisocial models.");
        foreach (var model in names.Length == 0 ? manifest.Models : names.Select(manifest.Get))
        {
            var path = System.IO.Path.Combine(directory, model.File);
            if (!System.IO.File.Exists(path))
            {
                throw new ModelUnavailableException($"Model file {path} is missing; run ./aisocial models.");
            }

            if (Sha256Of(path) != model.Sha256)
            {
                throw new ModelUnavailableException($"Model file {path} does not match its SHA-256 in the manifest; run ./aisocial models.");
            }
        }

        return manifest;
    }

    public void Save(string directory)
    {
        var temporary = PathIn(directory) + ".partial";
        System.IO.File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        System.IO.File.Move(temporary, PathIn(directory), overwrite: true);
    }

    // Model files are tens of megabytes; a file keeps its hash until its size or modification time changes.
    private static readonly ConcurrentDictionary<string, (long Length, DateTime WrittenAt, string Sha256)> Hashed = new();

    /// <summary>The file's SHA-256, computed again only when the file's size or modification time changed since the last time.</summary>
    public static string Sha256Of(string path)
    {
        var file = new System.IO.FileInfo(path);
        if (Hashed.TryGetValue(file.FullName, out var known) && known.Length == file.Length && known.WrittenAt == file.LastWriteTimeUtc)
        {
            return known.Sha256;
        }

        using var stream = file.OpenRead();
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
        Hashed[file.FullName] = (file.Length, file.LastWriteTimeUtc, sha256);
        return sha256;
    }
}

/// <summary>A model cannot be used (not prepared, changed on disk, failed to load). Checks report this as unavailable.</summary>
public sealed class ModelUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The models the project prepares, by the names the manifest uses.</summary>
public static class ModelNames
{
    public const string Nsfw = "nsfw-mobilenet-v2";
    public const string OcrDetection = "ppocr-v4-det";
    public const string OcrRecognition = "ppocr-v4-rec";
}
