using System.Globalization;
using AiSocial.SafetyModels.Nsfw;
using Xunit.Abstractions;

namespace AiSocial.SafetyModels.Tests.Nsfw;

/// <summary>The converted model and its preprocessing against nsfwjs itself (specs/models.md §1: within 1e-4 per class).</summary>
[Collection(NsfwModelCollection.Name)]
public sealed class NsfwParityTests(NsfwModelFixture model, ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Fact]
    public async Task On_the_same_input_tensor_the_onnx_model_gives_what_nsfwjs_gives()
    {
        var parity = await model.Parity;
        output.WriteLine($"classifier: {model.ClassifierSource}");

        // The tensors nsfwjs's own preprocessing made, classified by nsfwjs.classify and by the ONNX model.
        var onImages = NsfwjsParity.MaxDifferencePerClass(parity.OnnxOnNsfwjsTensors, parity.NsfwjsFromPixels);
        Report($"{parity.Names.Count} images, nsfwjs's input tensors", onImages);

        // C#'s tensors (and synthetic ones) run by TensorFlow.js as one batch through the model nsfwjs loaded.
        var onTensors = NsfwjsParity.MaxDifferencePerClass(parity.OnnxOnTensors, parity.TfjsOnTensors);
        Report($"{parity.TensorNames.Count} tensors ({string.Join("; ", parity.TensorNames)})", onTensors);

        Assert.All(onImages, d => Assert.True(d < Tolerance, $"largest difference {d}"));
        Assert.All(onTensors, d => Assert.True(d < Tolerance, $"largest difference {d}"));
    }

    [Fact]
    public async Task From_the_same_pixels_each_sides_own_preprocessing_gives_the_same_probabilities()
    {
        var parity = await model.Parity;
        var differences = NsfwjsParity.MaxDifferencePerClass(parity.OnnxFromPixels, parity.NsfwjsFromPixels);
        Report($"{parity.Names.Count} images from raw pixels", differences);
        output.WriteLine($"largest difference between the preprocessed tensors: {parity.MaxTensorDifference:E2}");
        output.WriteLine($"{"image",-34} {"ONNX from pixels",-44} nsfwjs.classify");
        for (var i = 0; i < parity.Names.Count; i++)
        {
            output.WriteLine($"{parity.Names[i],-34} {Format(parity.OnnxFromPixels[i]),-44} {Format(parity.NsfwjsFromPixels[i])}");
        }

        Assert.All(differences, d => Assert.True(d < Tolerance, $"largest difference {d}"));
        Assert.True(parity.MaxTensorDifference <= 1e-6, $"the preprocessed tensors differ by up to {parity.MaxTensorDifference}");

        // The images are varied enough that the model does not say the same about all of them.
        Assert.True(parity.NsfwjsFromPixels.Select(p => Array.IndexOf(p, p.Max())).Distinct().Count() >= 2);
    }

    private void Report(string what, double[] differences) =>
        output.WriteLine($"{what}: largest difference per class " +
            string.Join(", ", NsfwScores.Labels.Select((label, c) => $"{label} {differences[c].ToString("E2", CultureInfo.InvariantCulture)}")));

    private static string Format(float[] probabilities) => string.Join(" ", probabilities.Select(p => p.ToString("0.00000", CultureInfo.InvariantCulture)));
}
