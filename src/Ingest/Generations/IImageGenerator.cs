using AiSocial.Problems;

namespace AiSocial.Ingest.Generations;

/// <summary>What to draw: checked and complete (model and size chosen, seed drawn when none was given).</summary>
internal sealed record ImageRequest(string Prompt, string? NegativePrompt, string Model, ImageSize Size, long Seed);

/// <summary>
/// A picture as a generator made it: encoded bytes in any format Skia decodes (they are decoded and encoded afresh
/// before anything is stored), the prompt the generator says it used instead of the one given, and the parameters it
/// ran with.
/// </summary>
internal sealed record GeneratedPicture(byte[] Bytes, string? RevisedPrompt, IReadOnlyDictionary<string, object?> Parameters);

/// <summary>
/// Makes an image from a prompt. A failure is a refusal (the provider refused the prompt, is busy, failed or timed
/// out), never an exception, so nothing is stored or counted for it.
/// </summary>
internal interface IImageGenerator
{
    /// <summary>What the API and stored metadata call this generator: <c>openai</c> or <c>offline-renderer</c>.</summary>
    string Name { get; }

    /// <summary>Whether its pictures come from a trained model (IPTC <c>trainedAlgorithmicMedia</c>) or from a plain algorithm.</summary>
    bool IsTrainedModel { get; }

    string DefaultModel { get; }

    IReadOnlyList<string> Models { get; }

    string DefaultSize { get; }

    Task<Outcome<GeneratedPicture>> GenerateAsync(ImageRequest request, CancellationToken cancellationToken);
}
