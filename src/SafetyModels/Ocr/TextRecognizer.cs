using System.Buffers;
using System.Numerics.Tensors;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace AiSocial.SafetyModels.Ocr;

/// <summary>What the recogniser read in one box, and how sure it is (the mean probability of the characters it kept).</summary>
public readonly record struct RecognizedText(string Text, float Confidence);

/// <summary>
/// Reads the text in boxes with PaddleOCR's SVTR-LCNet recogniser: each box cut out of the image and scaled to 48 pixels high,
/// batched with boxes of similar shape, then the per-step character probabilities decoded greedily (CTC).
/// </summary>
public sealed class TextRecognizer : IDisposable
{
    public const int InputHeight = 48;
    public const int MinInputWidth = 320;
    public const int MaxInputWidth = 3200;
    public const int BatchSize = 6;

    /// <summary>How much of a box's height is added above and below it when it is cut out.</summary>
    public const float CropMargin = 0.2f;

    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly string _output;
    private readonly string[] _classes;

    /// <summary>Keys file: one character a line. Class 0 is the CTC blank, classes 1… the keys, a last extra class (if any) a space.</summary>
    public TextRecognizer(string modelPath, string keysPath, int intraOpThreads = 0)
        : this(modelPath, ReadKeys(keysPath), intraOpThreads)
    {
    }

    public TextRecognizer(string modelPath, IReadOnlyList<string> keys, int intraOpThreads = 0)
    {
        if (keys.Count == 0)
        {
            throw new ModelUnavailableException("The recogniser's character list is empty.");
        }

        _session = ModelSessions.Open(modelPath, intraOpThreads);
        try
        {
            (_input, _output, var shape) = OcrSessions.Describe(_session, modelPath, inputRank: 4, outputRank: 3);
            var characters = keys.Select(HalfWidth).ToList();
            _classes = shape[2] == keys.Count + 2 ? ["", .. characters, " "]
                : shape[2] == keys.Count + 1 ? ["", .. characters]
                : throw new ModelUnavailableException($"Model file {modelPath} has {shape[2]} classes, which does not fit a list of {keys.Count} characters.");
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    /// <summary>The text in each box, in the order of the boxes.</summary>
    public IReadOnlyList<RecognizedText> Recognize(SKBitmap image, IReadOnlyList<TextQuad> boxes, CancellationToken cancellationToken = default)
    {
        using var pixels = OcrImage.From(image);
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        return Recognize(pixels.View, boxes, runOptions, cancellationToken, out _);
    }

    internal RecognizedText[] Recognize(RgbaView image, IReadOnlyList<TextQuad> boxes, RunOptions runOptions, CancellationToken cancellationToken, out int runs)
    {
        runs = 0;
        var results = new RecognizedText[boxes.Count];
        var crops = new List<Crop>(boxes.Count);
        for (var i = 0; i < boxes.Count; i++)
        {
            if (Crop.Of(i, boxes[i]) is { } crop)
            {
                crops.Add(crop);
            }
            else
            {
                results[i] = new RecognizedText("", 0);
            }
        }

        // Similar shapes together, so little of each batch is padding.
        crops.Sort((a, b) => a.Ratio.CompareTo(b.Ratio));
        for (var start = 0; start < crops.Count; start += BatchSize)
        {
            var batch = crops.GetRange(start, Math.Min(BatchSize, crops.Count - start));
            RecognizeBatch(image, batch, results, runOptions, cancellationToken);
            runs++;
        }

        return results;
    }

    private void RecognizeBatch(RgbaView image, List<Crop> batch, RecognizedText[] results, RunOptions runOptions, CancellationToken cancellationToken)
    {
        var maxRatio = Math.Max((float)MinInputWidth / InputHeight, batch.Max(c => c.Ratio));
        var width = Math.Min(MaxInputWidth, (int)(InputHeight * maxRatio));
        var planeSize = InputHeight * width;
        var length = batch.Count * 3 * planeSize;
        var input = ArrayPool<float>.Shared.Rent(length);
        try
        {
            // PaddleOCR pads on the right with zeros after normalising (mid-grey).
            Array.Clear(input, 0, length);
            for (var i = 0; i < batch.Count; i++)
            {
                var crop = batch[i];
                var cropWidth = Math.Clamp((int)MathF.Ceiling(InputHeight * crop.Ratio), 1, width);
                var map = new AffineMap(crop.X, crop.Y, crop.Ux / cropWidth, crop.Uy / cropWidth, crop.Vx / InputHeight, crop.Vy / InputHeight);
                ImageSampler.Sample(image, map, cropWidth, InputHeight, input.AsSpan(i * 3 * planeSize, 3 * planeSize), width, planeSize, PixelNormalization.Recognition);
            }

            using var outputs = OcrSessions.Run(_session, _input, _output, input.AsMemory(0, length), [batch.Count, 3, InputHeight, width], runOptions, cancellationToken);
            var shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (shape is not [var n, var steps, var classes] || n != batch.Count || classes != _classes.Length)
            {
                throw new InvalidOperationException($"The text recogniser gave [{string.Join(',', shape)}] for a batch of {batch.Count}.");
            }

            var probabilities = outputs[0].GetTensorDataAsSpan<float>();
            for (var i = 0; i < batch.Count; i++)
            {
                results[batch[i].Index] = Decode(probabilities.Slice(i * (int)steps * _classes.Length, (int)steps * _classes.Length));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    /// <summary>Greedy CTC: the likeliest class at each step, repeats merged, blanks dropped.</summary>
    private RecognizedText Decode(ReadOnlySpan<float> steps)
    {
        var text = new StringBuilder();
        var previous = -1;
        var sum = 0f;
        var kept = 0;
        for (var offset = 0; offset < steps.Length; offset += _classes.Length)
        {
            var step = steps.Slice(offset, _classes.Length);
            var best = TensorPrimitives.IndexOfMax(step);
            if (best != 0 && best != previous)
            {
                text.Append(_classes[best]);
                sum += step[best];
                kept++;
            }

            previous = best;
        }

        return new RecognizedText(text.ToString().Trim(), kept > 0 ? sum / kept : 0);
    }

    /// <summary>
    /// The model reads many Latin-script commas, colons and brackets as their full-width forms (it learned them from
    /// Chinese text); text checks want the ordinary characters.
    /// </summary>
    private static string HalfWidth(string key) => key switch
    {
        [var c] when c is >= '\uFF01' and <= '\uFF5E' => ((char)(c - 0xFEE0)).ToString(),
        "\u3000" => " ",
        _ => key,
    };

    internal static string[] ReadKeys(string path) =>
        File.Exists(path) ? File.ReadAllLines(path) : throw new ModelUnavailableException($"Character list {path} is missing; run ./aisocial models.");

    public void Dispose() => _session.Dispose();

    /// <summary>Where to cut a box out: its top-left corner and the vectors along its width and height, upright.</summary>
    private readonly record struct Crop(int Index, float X, float Y, float Ux, float Uy, float Vx, float Vy, float Ratio)
    {
        public static Crop? Of(int index, TextQuad box)
        {
            var (width, height) = (box.Width, box.Height);
            if (width < 1 || height < 1)
            {
                return null;
            }

            var (ux, uy) = (box.TopRight.X - box.TopLeft.X, box.TopRight.Y - box.TopLeft.Y);
            var (vx, vy) = (box.BottomLeft.X - box.TopLeft.X, box.BottomLeft.Y - box.TopLeft.Y);
            // A box much taller than wide holds text running top to bottom: turn it a quarter left, as PaddleOCR does.
            var (x, y) = (box.TopLeft.X, box.TopLeft.Y);
            if (height >= 1.5f * width)
            {
                (x, y, ux, uy, vx, vy, width, height) = (box.TopRight.X, box.TopRight.Y, vx, vy, -ux, -uy, height, width);
            }

            // Room above and below the text: the recogniser drops spaces and misreads punctuation in tight crops.
            (x, y) = (x - (CropMargin * vx), y - (CropMargin * vy));
            var grow = 1 + (2 * CropMargin);
            return new Crop(index, x, y, ux, uy, vx * grow, vy * grow, width / (height * grow));
        }
    }
}
