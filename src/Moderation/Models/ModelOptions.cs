namespace AiSocial.Moderation.Models;

/// <summary>Where the prepared models are (<c>./aisocial models</c> writes them; nothing is committed).</summary>
public sealed record ModelOptions
{
    public const string Section = "Models";

    /// <summary>The directory holding <c>manifest.json</c> and the model files. Defaults to <c>AISOCIAL_MODELS</c>.</summary>
    public string Directory { get; init; } = Environment.GetEnvironmentVariable("AISOCIAL_MODELS") ?? "";

    /// <summary>Threads ONNX Runtime may use inside one inference (0: its own choice).</summary>
    public int IntraOpThreads { get; init; }
}
