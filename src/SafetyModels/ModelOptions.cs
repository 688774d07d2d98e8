using System.ComponentModel.DataAnnotations;

namespace AiSocial.SafetyModels;

/// <summary>Where the prepared models are (<c>./aisocial models</c> writes them; nothing is committed).</summary>
public sealed record ModelOptions
{
    public const string Section = "Models";

    /// <summary>The directory holding <c>manifest.json</c> and the model files (<c>./aisocial</c> sets it to <c>.tools/models</c>).</summary>
    [Required(ErrorMessage = "Models:Directory is not set: give the directory ./aisocial models prepared (environment variable Models__Directory).")]
    public string Directory { get; init; } = "";

    /// <summary>Threads ONNX Runtime may use inside one inference (0: its own choice).</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; init; }
}
