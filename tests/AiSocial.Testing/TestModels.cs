using AiSocial.SafetyModels;

namespace AiSocial.Testing;

/// <summary>The models directory `./aisocial test` prepares (AISOCIAL_MODELS). Tests use the real models, never stand-ins.</summary>
public static class TestModels
{
    public static string Directory =>
        Environment.GetEnvironmentVariable("AISOCIAL_MODELS") is { Length: > 0 } directory && File.Exists(ModelManifest.PathIn(directory))
            ? directory
            : throw new InvalidOperationException("No prepared models: run the tests through ./aisocial test, or run ./aisocial models and set AISOCIAL_MODELS.");

    public static ModelManifest Manifest => ModelManifest.LoadVerified(Directory);
}
