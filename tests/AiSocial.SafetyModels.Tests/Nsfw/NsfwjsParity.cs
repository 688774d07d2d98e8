using System.Security.Cryptography;
using AiSocial.Moderation.Checks;
using AiSocial.SafetyModels.Nsfw;

namespace AiSocial.SafetyModels.Tests.Nsfw;

/// <summary>
/// What nsfwjs (in Node) and the ONNX classifier say about <see cref="ParityImages"/>, worked out once for the parity
/// tests. Probabilities are per image, five each in <see cref="NsfwScores.Labels"/> order.
/// </summary>
public sealed class NsfwjsParity
{
    private const int Classes = 5;

    public required IReadOnlyList<string> Names { get; init; }

    /// <summary>NsfwClassifier.Classify on the decoded images (its preprocessing, batched).</summary>
    public required float[][] OnnxFromPixels { get; init; }

    /// <summary>nsfwjs.classify on the same decoded RGB pixels (its preprocessing).</summary>
    public required float[][] NsfwjsFromPixels { get; init; }

    /// <summary>The ONNX model on exactly the tensors nsfwjs's preprocessing made and classified.</summary>
    public required float[][] OnnxOnNsfwjsTensors { get; init; }

    /// <summary>Largest |NsfwClassifier.Preprocess − nsfwjs's preprocessing| over every value of every image.</summary>
    public required float MaxTensorDifference { get; init; }

    /// <summary>Names of the tensors of the --tensors job: C# Preprocess output of some images, and synthetic ones.</summary>
    public required IReadOnlyList<string> TensorNames { get; init; }

    public required float[][] OnnxOnTensors { get; init; }

    /// <summary>The model nsfwjs loaded, run by TensorFlow.js on the same tensors as one batch.</summary>
    public required float[][] TfjsOnTensors { get; init; }

    public static async Task<NsfwjsParity> RunAsync(NsfwClassifier classifier, string scratch)
    {
        var images = ParityImages.All();
        var subjects = images.Select(i => new CheckSubject(Convert.ToHexStringLower(SHA256.HashData(i.Encoded)), i.Encoded, [])).ToList();
        try
        {
            var bitmaps = subjects.Select(s => s.Image).ToList();

            var tensorNames = new List<string>();
            var tensors = new List<float>();
            foreach (var name in new[] { "shapes 1024x768", "alpha gradient 300x300" })
            {
                tensorNames.Add($"{name} (C# preprocessing)");
                tensors.AddRange(NsfwClassifier.Preprocess(bitmaps[images.Select(i => i.Name).ToList().IndexOf(name)]));
            }

            var random = new Random(17);
            tensorNames.Add("uniform noise in [0, 1]");
            tensors.AddRange(Enumerable.Range(0, NsfwClassifier.TensorLength).Select(_ => random.NextSingle()));
            tensorNames.Add("noise beyond the image range, [-1, 2]");
            tensors.AddRange(Enumerable.Range(0, NsfwClassifier.TensorLength).Select(_ => (random.NextSingle() * 3) - 1));
            var tensorFile = Path.Combine(scratch, "tensors.bin");
            NsfwjsReference.WriteFloats(tensorFile, tensors.ToArray());

            // Two Node processes, one per core, with about as many model runs each (nsfwjs takes about a second an
            // image on the pure-JS backend): the first runs the tensors and the first images, the second the rest.
            var split = (bitmaps.Count - tensorNames.Count) / 2;
            var pixelFiles = new[] { Path.Combine(scratch, "pixels0.bin"), Path.Combine(scratch, "pixels1.bin") };
            for (var part = 0; part < 2; part++)
            {
                await using var file = File.Create(pixelFiles[part]);
                foreach (var bitmap in part == 0 ? bitmaps[..split] : bitmaps[split..])
                {
                    NsfwjsPixels.Write(file, bitmap);
                }
            }

            string Out(string name) => Path.Combine(scratch, name);
            var reference = Task.WhenAll(
                NsfwjsReference.RunAsync("--tensors", tensorFile, Out("tensor-probabilities.bin"), "--pixels", pixelFiles[0], Out("probabilities0.bin"), Out("preprocessed0.bin")),
                NsfwjsReference.RunAsync("--pixels", pixelFiles[1], Out("probabilities1.bin"), Out("preprocessed1.bin")));

            var onnxFromPixels = classifier.Classify(bitmaps).Select(s => s.ToArray()).ToArray();
            var preprocessed = bitmaps.Select(NsfwClassifier.Preprocess).ToArray();
            var onnxOnTensors = classifier.ClassifyTensor(tensors.ToArray()).Select(s => s.ToArray()).ToArray();
            await reference;

            var nsfwjsFromPixels = Rows([.. NsfwjsReference.ReadFloats(Out("probabilities0.bin")), .. NsfwjsReference.ReadFloats(Out("probabilities1.bin"))], Classes);
            var nsfwjsTensors = Rows([.. NsfwjsReference.ReadFloats(Out("preprocessed0.bin")), .. NsfwjsReference.ReadFloats(Out("preprocessed1.bin"))], NsfwClassifier.TensorLength);
            Assert.Equal(images.Count, nsfwjsFromPixels.Length);

            var maxTensorDifference = 0f;
            for (var i = 0; i < images.Count; i++)
            {
                for (var j = 0; j < NsfwClassifier.TensorLength; j++)
                {
                    maxTensorDifference = Math.Max(maxTensorDifference, Math.Abs(preprocessed[i][j] - nsfwjsTensors[i][j]));
                }
            }

            return new NsfwjsParity
            {
                Names = [.. images.Select(i => i.Name)],
                OnnxFromPixels = onnxFromPixels,
                NsfwjsFromPixels = nsfwjsFromPixels,
                OnnxOnNsfwjsTensors = [.. classifier.ClassifyTensor(nsfwjsTensors.SelectMany(t => t).ToArray()).Select(s => s.ToArray())],
                MaxTensorDifference = maxTensorDifference,
                TensorNames = tensorNames,
                OnnxOnTensors = onnxOnTensors,
                TfjsOnTensors = Rows(NsfwjsReference.ReadFloats(Out("tensor-probabilities.bin")), Classes),
            };
        }
        finally
        {
            subjects.ForEach(s => s.Dispose());
        }
    }

    /// <summary>Largest absolute difference per class between two sets of probabilities.</summary>
    public static double[] MaxDifferencePerClass(float[][] a, float[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        var max = new double[Classes];
        for (var i = 0; i < a.Length; i++)
        {
            for (var c = 0; c < Classes; c++)
            {
                max[c] = Math.Max(max[c], Math.Abs(a[i][c] - b[i][c]));
            }
        }

        return max;
    }

    private static float[][] Rows(float[] values, int width) => [.. values.Chunk(width)];
}
