using System.Buffers;
using AiSocial.SafetyModels.Onnx;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace AiSocial.SafetyModels.Nsfw;

/// <summary>
/// nsfwjs's MobileNetV2 classifier, converted to ONNX (specs/models.md §1), with nsfwjs's own preprocessing
/// reproduced exactly. One ONNX Runtime session, shared: <see cref="Classify(IReadOnlyList{SKBitmap})"/> may be
/// called from many threads at once.
/// </summary>
public sealed class NsfwClassifier : IDisposable
{
    public const int Size = 224;

    /// <summary>Floats in one image's input tensor: 224 × 224 × 3, channels last.</summary>
    public const int TensorLength = Size * Size * 3;

    public const string InputName = "input";
    public const string OutputName = "probabilities";

    // Bounds the input buffer (16 images ≈ 9.6 MB) when a caller hands over many images at once.
    private const int MaxBatch = 16;

    // nsfwjs: int pixel → float32 → divided by 255 (computed in double, stored as float32).
    private static readonly float[] UnitValues = [.. Enumerable.Range(0, 256).Select(v => (float)(v / 255.0))];

    private readonly InferenceSession _session;

    public NsfwClassifier(string onnxPath, string modelVersion, int intraOpThreads = 0)
    {
        ModelVersion = modelVersion;
        _session = ModelSessions.Open(onnxPath, intraOpThreads);

        if (!_session.InputMetadata.TryGetValue(InputName, out var input) || !input.Dimensions.SequenceEqual([-1, Size, Size, 3])
            || !_session.OutputMetadata.TryGetValue(OutputName, out var output) || !output.Dimensions.SequenceEqual([-1, NsfwScores.Labels.Count]))
        {
            _session.Dispose();
            throw new ModelUnavailableException($"The model {onnxPath} does not take '{InputName}' [N, {Size}, {Size}, 3] and give '{OutputName}' [N, {NsfwScores.Labels.Count}].");
        }
    }

    /// <summary>The model's version as the manifest records it; signals carry it.</summary>
    public string ModelVersion { get; }

    /// <summary>The names and labels <see cref="KerasToOnnxConverter"/> gives the converted nsfwjs model.</summary>
    internal static KerasConversion Conversion { get; } = new() { InputName = InputName, OutputName = OutputName, Labels = NsfwScores.Labels };

    /// <summary>Converts nsfwjs's unpacked model (model.json + weights.bin from tools/models/unpack-nsfwjs.cjs) to the ONNX file this class runs.</summary>
    public static void ConvertFromNsfwjs(string modelJsonPath, string weightsPath, string onnxPath) =>
        KerasToOnnxConverter.Convert(modelJsonPath, weightsPath, onnxPath, Conversion);

    /// <summary>The classifier for the manifest's <see cref="ModelNames.Nsfw"/> entry; <see cref="ModelUnavailableException"/> if it is missing or changed.</summary>
    public static NsfwClassifier FromManifest(ModelOptions options)
    {
        var entry = ModelManifest.LoadVerified(options.Directory, ModelNames.Nsfw).Get(ModelNames.Nsfw);
        return new NsfwClassifier(Path.Combine(options.Directory, entry.File), entry.Version, options.IntraOpThreads);
    }

    public NsfwScores Classify(SKBitmap image) => Classify([image])[0];

    /// <summary>Classifies the images in batches (one tensor [n, 224, 224, 3] per batch).</summary>
    public IReadOnlyList<NsfwScores> Classify(IReadOnlyList<SKBitmap> images)
    {
        var results = new List<NsfwScores>(images.Count);
        for (var start = 0; start < images.Count; start += MaxBatch)
        {
            var count = Math.Min(MaxBatch, images.Count - start);
            var buffer = ArrayPool<float>.Shared.Rent(count * TensorLength);
            try
            {
                for (var i = 0; i < count; i++)
                {
                    PreprocessInto(images[start + i], buffer.AsSpan(i * TensorLength, TensorLength));
                }

                results.AddRange(ClassifyTensor(buffer.AsMemory(0, count * TensorLength)));
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        }

        return results;
    }

    /// <summary>Runs the model on already preprocessed images: n × <see cref="TensorLength"/> floats, NHWC.</summary>
    public IReadOnlyList<NsfwScores> ClassifyTensor(Memory<float> tensor)
    {
        if (tensor.Length == 0 || tensor.Length % TensorLength != 0)
        {
            throw new ArgumentException($"The tensor has {tensor.Length} floats, not a positive multiple of {TensorLength} (224 × 224 × 3).", nameof(tensor));
        }

        var count = tensor.Length / TensorLength;
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tensor, [count, Size, Size, 3]);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [InputName], [input], [OutputName]);
        var probabilities = outputs[0].GetTensorDataAsSpan<float>();
        var classes = NsfwScores.Labels.Count;
        var scores = new NsfwScores[count];
        for (var i = 0; i < count; i++)
        {
            scores[i] = NsfwScores.From(probabilities.Slice(i * classes, classes));
        }

        return scores;
    }

    /// <summary>The model input for one image, exactly as nsfwjs makes it.</summary>
    public static float[] Preprocess(SKBitmap image)
    {
        var tensor = new float[TensorLength];
        PreprocessInto(image, tensor);
        return tensor;
    }

    /// <summary>
    /// Writes the model input for one image into <paramref name="destination"/> (<see cref="TensorLength"/> floats),
    /// as nsfwjs does it: RGB without alpha (unpremultiplied), each value / 255 as float32, then — unless the image is
    /// already 224 × 224 — TensorFlow.js's bilinear resize with align_corners (in double, rounded to float32 at the end).
    /// </summary>
    public static void PreprocessInto(SKBitmap image, Span<float> destination)
    {
        if (destination.Length != TensorLength)
        {
            throw new ArgumentException($"The destination has {destination.Length} floats; one image needs {TensorLength}.", nameof(destination));
        }

        if (image.Width <= 0 || image.Height <= 0)
        {
            throw new ArgumentException("The image is empty.", nameof(image));
        }

        if (image.ColorType is SKColorType.Rgba8888 or SKColorType.Bgra8888 && image.AlphaType is SKAlphaType.Unpremul or SKAlphaType.Opaque)
        {
            var red = image.ColorType == SKColorType.Rgba8888 ? 0 : 2;
            Resample(image.GetPixelSpan(), image.Width, image.Height, image.RowBytes, red, 2 - red, destination);
            return;
        }

        using var converted = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var source = image.PeekPixels())
        using (var target = converted.PeekPixels())
        {
            if (source is null || !source.ReadPixels(target))
            {
                throw new ArgumentException($"The image's pixels ({image.ColorType}, {image.AlphaType}) cannot be read as RGBA.", nameof(image));
            }
        }

        Resample(converted.GetPixelSpan(), converted.Width, converted.Height, converted.RowBytes, 0, 2, destination);
    }

    // TensorFlow.js's CPU resizeBilinear with alignCorners = true, halfPixelCenters = false, over the 4-byte pixels.
    private static void Resample(ReadOnlySpan<byte> pixels, int width, int height, int rowBytes, int red, int blue, Span<float> destination)
    {
        var unit = UnitValues;
        if (width == Size && height == Size)
        {
            for (var y = 0; y < Size; y++)
            {
                var row = pixels.Slice(y * rowBytes, Size * 4);
                var output = destination.Slice(y * Size * 3, Size * 3);
                for (var x = 0; x < Size; x++)
                {
                    output[(x * 3) + 0] = unit[row[(x * 4) + red]];
                    output[(x * 3) + 1] = unit[row[(x * 4) + 1]];
                    output[(x * 3) + 2] = unit[row[(x * 4) + blue]];
                }
            }

            return;
        }

        Span<int> left = stackalloc int[Size];
        Span<int> right = stackalloc int[Size];
        Span<double> columnFraction = stackalloc double[Size];
        var columnRatio = (double)(width - 1) / (Size - 1);
        for (var x = 0; x < Size; x++)
        {
            var source = columnRatio * x;
            var floor = Math.Max(0, (int)Math.Floor(source));
            columnFraction[x] = source - floor;
            left[x] = floor * 4;
            right[x] = Math.Min(width - 1, (int)Math.Ceiling(source)) * 4;
        }

        var rowRatio = (double)(height - 1) / (Size - 1);
        for (var y = 0; y < Size; y++)
        {
            var source = rowRatio * y;
            var floor = Math.Max(0, (int)Math.Floor(source));
            var rowFraction = source - floor;
            var top = pixels.Slice(floor * rowBytes, width * 4);
            var bottom = pixels.Slice(Math.Min(height - 1, (int)Math.Ceiling(source)) * rowBytes, width * 4);
            var output = destination.Slice(y * Size * 3, Size * 3);
            for (var x = 0; x < Size; x++)
            {
                var l = left[x];
                var r = right[x];
                var fraction = columnFraction[x];
                output[(x * 3) + 0] = Interpolate(unit, top, bottom, l + red, r + red, fraction, rowFraction);
                output[(x * 3) + 1] = Interpolate(unit, top, bottom, l + 1, r + 1, fraction, rowFraction);
                output[(x * 3) + 2] = Interpolate(unit, top, bottom, l + blue, r + blue, fraction, rowFraction);
            }
        }
    }

    private static float Interpolate(float[] unit, ReadOnlySpan<byte> top, ReadOnlySpan<byte> bottom, int left, int right, double columnFraction, double rowFraction)
    {
        double topLeft = unit[top[left]];
        double topRight = unit[top[right]];
        double bottomLeft = unit[bottom[left]];
        double bottomRight = unit[bottom[right]];
        var upper = topLeft + ((topRight - topLeft) * columnFraction);
        var lower = bottomLeft + ((bottomRight - bottomLeft) * columnFraction);
        return (float)(upper + ((lower - upper) * rowFraction));
    }

    public void Dispose() => _session.Dispose();
}
