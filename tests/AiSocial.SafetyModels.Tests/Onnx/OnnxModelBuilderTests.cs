using AiSocial.SafetyModels.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace AiSocial.SafetyModels.Tests.Onnx;

public sealed class OnnxModelBuilderTests
{
    // Pad (string attribute, int64 initializer) → Conv (ints, int) → Relu → Reshape (int64 shape) → Gemm (float
    // attribute) → Clip (scalar initializers) → Softmax, with a symbolic batch.
    private static readonly float[] Kernel = [.. Enumerable.Range(0, 2 * 1 * 3 * 3).Select(i => ((i * 7) % 11 / 10f) - 0.45f)];
    private static readonly float[] ConvBias = [0.1f, -0.2f];
    private static readonly float[] Weights = [.. Enumerable.Range(0, 8 * 3).Select(i => ((i * 5) % 13 / 6f) - 1f)];
    private static readonly float[] GemmBias = [0.3f, -0.1f, 0.05f];
    private const float Alpha = 0.5f;

    private static byte[] TinyModel()
    {
        var builder = new OnnxModelBuilder("tiny");
        builder.AddInput("x", "N", 1, 4, 4);
        var pads = builder.AddInt64Initializer("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1]);
        builder.AddNode("Pad", ["x", pads], ["padded"], OnnxAttribute.String("mode", "constant"));
        var kernel = builder.AddInitializer("kernel", [2, 1, 3, 3], Kernel);
        var bias = builder.AddInitializer("conv_bias", [2], ConvBias);
        builder.AddNode("Conv", ["padded", kernel, bias], ["conv"], OnnxAttribute.Ints("kernel_shape", 3, 3), OnnxAttribute.Ints("strides", 2, 2), OnnxAttribute.Int("group", 1));
        builder.AddNode("Relu", ["conv"], ["relu"]);
        var shape = builder.AddInt64Initializer("shape", [2], [0, -1]);
        builder.AddNode("Reshape", ["relu", shape], ["flat"]);
        var weights = builder.AddInitializer("weights", [8, 3], Weights);
        var gemmBias = builder.AddInitializer("gemm_bias", [3], GemmBias);
        builder.AddNode("Gemm", ["flat", weights, gemmBias], ["logits"], OnnxAttribute.Float("alpha", Alpha));
        var low = builder.AddInitializer("low", [], [-1f]);
        var high = builder.AddInitializer("high", [], [1f]);
        builder.AddNode("Clip", ["logits", low, high], ["clipped"]);
        builder.AddNode("Softmax", ["clipped"], ["y"], OnnxAttribute.Int("axis", 1));
        builder.AddOutput("y", "N", 3);
        builder.AddMetadata("purpose", "test");
        return builder.ToBytes();
    }

    // The same computation written out by hand, in double.
    private static double[] HandComputed(float[] image)
    {
        var flat = new double[8];
        for (var o = 0; o < 2; o++)
        {
            for (var oy = 0; oy < 2; oy++)
            {
                for (var ox = 0; ox < 2; ox++)
                {
                    double sum = ConvBias[o];
                    for (var ky = 0; ky < 3; ky++)
                    {
                        for (var kx = 0; kx < 3; kx++)
                        {
                            // Padded by one on every side, stride 2.
                            var y = (oy * 2) + ky - 1;
                            var x = (ox * 2) + kx - 1;
                            if (y is >= 0 and < 4 && x is >= 0 and < 4)
                            {
                                sum += image[(y * 4) + x] * Kernel[(o * 9) + (ky * 3) + kx];
                            }
                        }
                    }

                    flat[(o * 4) + (oy * 2) + ox] = Math.Max(0, sum);
                }
            }
        }

        var logits = new double[3];
        for (var j = 0; j < 3; j++)
        {
            double sum = 0;
            for (var i = 0; i < 8; i++)
            {
                sum += flat[i] * Weights[(i * 3) + j];
            }

            logits[j] = Math.Clamp((Alpha * sum) + GemmBias[j], -1, 1);
        }

        var exps = logits.Select(Math.Exp).ToArray();
        return [.. exps.Select(e => e / exps.Sum())];
    }

    [Fact]
    public void A_hand_built_model_runs_in_onnx_runtime_and_matches_a_hand_computation()
    {
        using var session = new InferenceSession(TinyModel());
        var random = new Random(3);
        var images = new float[2 * 16];
        for (var i = 0; i < images.Length; i++)
        {
            images[i] = (float)((random.NextDouble() * 4) - 2);
        }

        using var input = OrtValue.CreateTensorValueFromMemory(images, [2, 1, 4, 4]);
        using var outputs = session.Run(new RunOptions(), ["x"], [input], ["y"]);
        var actual = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        Assert.Equal([2, 3], outputs[0].GetTensorTypeAndShape().Shape);
        for (var n = 0; n < 2; n++)
        {
            var expected = HandComputed(images[(n * 16)..((n + 1) * 16)]);
            for (var j = 0; j < 3; j++)
            {
                Assert.True(Math.Abs(actual[(n * 3) + j] - expected[j]) < 1e-6, $"image {n} class {j}: {actual[(n * 3) + j]} vs {expected[j]}");
            }
        }

        Assert.Equal("N", session.InputMetadata["x"].SymbolicDimensions[0]);
        Assert.Equal([-1, 1, 4, 4], session.InputMetadata["x"].Dimensions);
        Assert.Equal([-1, 3], session.OutputMetadata["y"].Dimensions);
        Assert.Equal("test", session.ModelMetadata.CustomMetadataMap["purpose"]);
        Assert.Equal("AiSocial", session.ModelMetadata.ProducerName);
    }

    [Fact]
    public void Reading_an_undefined_value_or_giving_the_wrong_number_of_values_is_refused()
    {
        var builder = new OnnxModelBuilder("broken");
        builder.AddInput("x", "N", 2);

        var undefined = Assert.Throws<InvalidOperationException>(() => builder.AddNode("Add", ["x", "nowhere"], ["y"]));
        Assert.Contains("nowhere", undefined.Message);
        Assert.Throws<ArgumentException>(() => builder.AddInitializer("w", [2, 2], [1f, 2f, 3f]));
        builder.AddOutput("missing", "N", 2);
        Assert.Throws<InvalidOperationException>(builder.ToBytes);
    }
}
