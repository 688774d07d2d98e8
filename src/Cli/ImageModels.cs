using AiSocial.Ingest.Media;
using AiSocial.Problems;
using AiSocial.SafetyModels;
using AiSocial.SafetyModels.Nsfw;
using AiSocial.SafetyModels.Ocr;
using AiSocial.SafetyModels.Pdq;
using Microsoft.Extensions.Options;

namespace AiSocial.Cli;

public sealed record PdqLine(string Hash, int Quality);

/// <summary>What <c>models check</c> prints for one file: the results, or why the file could not be checked.</summary>
public sealed record ImageCheckLine(
    string File,
    string? Sha256 = null,
    int? Width = null,
    int? Height = null,
    PdqLine? Pdq = null,
    IReadOnlyDictionary<string, float>? Nsfw = null,
    OcrReport? Ocr = null,
    string? Error = null,
    string? Code = null);

/// <summary>
/// The image models as <c>models check</c> runs them on files: the same validation uploads get (size, format, a full
/// decode), then PDQ, the NSFW classifier and OCR. A bad file yields an error line; it never stops the others.
/// </summary>
public sealed class ImageModels(NsfwClassifier nsfw, OcrEngine ocr, ImageInspector inspector) : IDisposable
{
    public static ImageModels Load(ModelOptions options)
    {
        var nsfw = NsfwClassifier.FromManifest(options);
        try
        {
            return new ImageModels(nsfw, OcrEngine.FromManifest(options), new ImageInspector(Options.Create(new MediaOptions())));
        }
        catch
        {
            nsfw.Dispose();
            throw;
        }
    }

    public async Task<ImageCheckLine> CheckAsync(FileInfo file, CancellationToken cancellationToken)
    {
        Outcome<InspectedImage> inspection;
        try
        {
            await using var stream = file.OpenRead();
            inspection = await inspector.InspectAsync(stream, cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return new ImageCheckLine(file.ToString(), Error: exception.Message, Code: "file-unreadable");
        }

        if (inspection.Refusal is { } refusal)
        {
            return new ImageCheckLine(file.ToString(), Error: refusal.Detail, Code: refusal.Problem.Code);
        }

        // Checked as uploads are; the models then read the file itself, and the hash printed is the file's, as hash banks know it.
        var image = inspection.Value;
        byte[] original;
        try
        {
            original = await File.ReadAllBytesAsync(file.FullName, cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return new ImageCheckLine(file.ToString(), Error: exception.Message, Code: "file-unreadable");
        }

        using var decoded = ModelImages.Decode(original);
        var pdq = PdqHasher.Compute(decoded);
        var scores = nsfw.Classify(decoded);
        var text = ocr.Read(decoded, cancellationToken);
        return new ImageCheckLine(
            file.ToString(),
            image.UploadSha256,
            image.Width,
            image.Height,
            new PdqLine(pdq.Hash.ToHex(), pdq.Quality),
            NsfwScores.Labels.Select((label, i) => (label, scores[i])).ToDictionary(p => p.label.ToLowerInvariant(), p => p.Item2),
            OcrReport.Of(text));
    }

    public void Dispose()
    {
        nsfw.Dispose();
        ocr.Dispose();
    }
}
