using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace AiSocial.SafetyModels.Ocr;

/// <summary>
/// Finds lines of text with PaddleOCR's DB detector: the image scaled so its longer side is at most 960 (each side a
/// multiple of 32), a per-pixel text probability, then boxes around the confident regions.
/// </summary>
public sealed class TextDetector : IDisposable
{
    public const int MaxSide = 960;
    public const float PixelThreshold = 0.3f;
    public const float BoxThreshold = 0.6f;
    public const float UnclipRatio = 1.5f;

    private const int Stride = 32;
    private const float MinSide = 3;
    private const int MaxBoxes = 1000;

    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly string _output;

    public TextDetector(string modelPath, int intraOpThreads = 0)
    {
        _session = ModelSessions.Open(modelPath, intraOpThreads);
        try
        {
            (_input, _output, var shape) = OcrSessions.Describe(_session, modelPath, inputRank: 4, outputRank: 4);
            if (shape[1] != 1)
            {
                throw new ModelUnavailableException($"Model file {modelPath} gives {shape[1]} maps; a text detector gives one.");
            }
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    /// <summary>The lines of text in the image, in reading order.</summary>
    public IReadOnlyList<TextQuad> Detect(SKBitmap image, CancellationToken cancellationToken = default)
    {
        using var pixels = OcrImage.From(image);
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        return Detect(pixels.View, runOptions, cancellationToken);
    }

    internal IReadOnlyList<TextQuad> Detect(RgbaView image, RunOptions runOptions, CancellationToken cancellationToken)
    {
        var (width, height) = InputSize(image.Width, image.Height);
        var planeSize = width * height;
        var input = ArrayPool<float>.Shared.Rent(3 * planeSize);
        List<RotatedBox> boxes;
        try
        {
            ImageSampler.Sample(image, AffineMap.Scale((float)image.Width / width, (float)image.Height / height), width, height, input, width, planeSize, PixelNormalization.Detection);
            using var outputs = OcrSessions.Run(_session, _input, _output, input.AsMemory(0, 3 * planeSize), [1, 3, height, width], runOptions, cancellationToken);
            var shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (shape is not [1, 1, var h, var w] || h != height || w != width)
            {
                throw new InvalidOperationException($"The text detector gave a map of [{string.Join(',', shape)}] for an input of {width}×{height}.");
            }

            boxes = TextRegions.Find(outputs[0].GetTensorDataAsSpan<float>(), width, height, PixelThreshold, BoxThreshold, MinSide, UnclipRatio, MaxBoxes);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }

        var (imageWidth, imageHeight) = (image.Width, image.Height);
        var (sx, sy) = ((float)imageWidth / width, (float)imageHeight / height);
        var quads = new List<TextQuad>(boxes.Count);
        foreach (var box in boxes)
        {
            var corners = box.Corners();
            SKPoint ToImage(int i) => new(Math.Clamp(corners[i].X * sx, 0, imageWidth), Math.Clamp(corners[i].Y * sy, 0, imageHeight));
            quads.Add(new TextQuad(ToImage(0), ToImage(1), ToImage(2), ToImage(3)));
        }

        return ReadingOrder(quads);
    }

    /// <summary>The input size for an image: longer side at most 960, both sides rounded to a multiple of 32 (at least 32).</summary>
    internal static (int Width, int Height) InputSize(int width, int height)
    {
        var ratio = Math.Max(width, height) > MaxSide ? (double)MaxSide / Math.Max(width, height) : 1.0;
        int Round(int side) => Math.Max(Stride, (int)Math.Round(side * ratio / Stride, MidpointRounding.AwayFromZero) * Stride);
        return (Round(width), Round(height));
    }

    /// <summary>Top to bottom; boxes whose middles share a line (within half the shorter one's height) left to right.</summary>
    private static List<TextQuad> ReadingOrder(List<TextQuad> quads)
    {
        var byTop = quads.OrderBy(q => q.Center.Y).ToList();
        var ordered = new List<TextQuad>(byTop.Count);
        var line = new List<TextQuad>();
        foreach (var quad in byTop)
        {
            if (line.Count > 0 && !line.Any(q => Math.Abs(q.Center.Y - quad.Center.Y) <= Math.Min(q.Bounds.Height, quad.Bounds.Height) / 2))
            {
                ordered.AddRange(line.OrderBy(q => q.Center.X));
                line.Clear();
            }

            line.Add(quad);
        }

        ordered.AddRange(line.OrderBy(q => q.Center.X));
        return ordered;
    }

    public void Dispose() => _session.Dispose();
}
