using AiSocial.Ingest;
using AiSocial.Ingest.Media;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Models;
using AiSocial.Moderation.Models.Nsfw;
using AiSocial.Moderation.Models.Ocr;
using AiSocial.Moderation.Models.Pdq;
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
        InspectedImage image;
        try
        {
            await using var stream = file.OpenRead();
            image = await inspector.InspectAsync(stream, cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return new ImageCheckLine(file.ToString(), Error: exception.Message, Code: "file-unreadable");
        }
        catch (RequestRejectedException rejection)
        {
            return new ImageCheckLine(file.ToString(), Error: rejection.Message, Code: rejection.Problem.Code);
        }

        using var subject = new CheckSubject(image.Sha256, image.Bytes, []);
        var pdq = PdqHasher.Compute(subject.Image);
        var scores = nsfw.Classify(subject.Image);
        var text = ocr.Read(subject.Image, cancellationToken);
        return new ImageCheckLine(
            file.ToString(),
            image.Sha256,
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
