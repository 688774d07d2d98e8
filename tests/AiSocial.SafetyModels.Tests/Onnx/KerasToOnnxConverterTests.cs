using System.Text.Json;
using System.Text.Json.Nodes;
using AiSocial.SafetyModels.Nsfw;
using AiSocial.SafetyModels.Onnx;
using AiSocial.SafetyModels.Tests.Nsfw;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace AiSocial.SafetyModels.Tests.Onnx;

[Collection(NsfwModelCollection.Name)]
public sealed class KerasToOnnxConverterTests(NsfwModelFixture model, ITestOutputHelper output)
{
    [Fact]
    public void Nsfwjs_converts_to_a_model_with_its_names_shapes_and_labels_that_gives_probabilities()
    {
        var bytes = KerasToOnnxConverter.Convert(model.ModelJson, model.Weights, NsfwClassifier.Conversion);
        using var session = new InferenceSession(bytes);

        Assert.Equal([-1, 224, 224, 3], session.InputMetadata["input"].Dimensions);
        Assert.Equal("N", session.InputMetadata["input"].SymbolicDimensions[0]);
        Assert.Equal([-1, 5], session.OutputMetadata["probabilities"].Dimensions);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(["Drawing", "Hentai", "Neutral", "Porn", "Sexy"], JsonSerializer.Deserialize<string[]>(metadata["labels"])!);
        Assert.StartsWith("nsfwjs ", metadata["source"]);

        var random = new Random(5);
        var batch = new float[3 * NsfwClassifier.TensorLength];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = random.NextSingle();
        }

        using var input = OrtValue.CreateTensorValueFromMemory(batch, [3, 224, 224, 3]);
        using var outputs = session.Run(new RunOptions(), ["input"], [input], ["probabilities"]);
        var probabilities = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal(15, probabilities.Length);
        for (var n = 0; n < 3; n++)
        {
            var row = probabilities[(n * 5)..((n + 1) * 5)];
            Assert.All(row, p => Assert.InRange(p, 0f, 1f));
            Assert.Equal(1.0, row.Sum(), 5);
        }

        // The same files give the same bytes, so the manifest's SHA-256 is reproducible.
        Assert.Equal(bytes, KerasToOnnxConverter.Convert(model.ModelJson, model.Weights, NsfwClassifier.Conversion));
    }

    [Theory]
    [InlineData("Conv1_relu", "class_name", "\"LeakyReLU\"", "LeakyReLU")]
    [InlineData("dense_3", "activation", "\"sigmoid\"", "sigmoid")]
    [InlineData("Conv1_relu", "negative_slope", "0.1", "negative slope")]
    [InlineData("Conv1", "dilation_rate", "[2, 2]", "dilation")]
    [InlineData("Conv1_pad", "data_format", "\"channels_first\"", "channels_first")]
    [InlineData("Conv1", "padding", "\"causal\"", "causal")]
    public void A_layer_the_converter_does_not_support_is_refused_by_name(string layerName, string field, string value, string reason)
    {
        var json = JsonNode.Parse(File.ReadAllText(model.ModelJson))!;
        var layer = json["modelTopology"]!["model_config"]!["config"]!["layers"]!.AsArray().Single(l => (string?)l!["name"] == layerName)!;
        if (field == "class_name")
        {
            layer["class_name"] = JsonNode.Parse(value);
        }
        else
        {
            layer["config"]![field] = JsonNode.Parse(value);
        }

        var changed = KerasModel.Parse(JsonSerializer.SerializeToUtf8Bytes(json), File.ReadAllBytes(model.Weights));
        var error = Assert.Throws<NotSupportedException>(() => KerasToOnnxConverter.Convert(changed));
        Assert.Contains(layerName, error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Weight_data_that_does_not_match_the_manifest_is_refused()
    {
        var json = File.ReadAllBytes(model.ModelJson);
        var weights = File.ReadAllBytes(model.Weights);

        Assert.Throws<InvalidDataException>(() => KerasModel.Parse(json, weights[..^1]));
        Assert.Throws<InvalidDataException>(() => KerasModel.Parse(json, [.. weights, 0]));
    }

    [Fact]
    public async Task A_model_using_every_supported_layer_option_matches_tensorflow_js()
    {
        var directory = Directory.CreateTempSubdirectory("aisocial-keras-").FullName;
        try
        {
            var (modelJson, weights) = SmallModel.Write(directory);
            var random = new Random(11);
            var inputs = new float[4 * SmallModel.InputLength];
            for (var i = 0; i < inputs.Length; i++)
            {
                inputs[i] = (random.NextSingle() * 3) - 1;
            }

            NsfwjsReference.WriteFloats(Path.Combine(directory, "in.bin"), inputs);
            await NsfwjsReference.RunAsync("--keras", modelJson, weights, Path.Combine(directory, "in.bin"), Path.Combine(directory, "out.bin"));
            var expected = NsfwjsReference.ReadFloats(Path.Combine(directory, "out.bin"));

            using var session = new InferenceSession(KerasToOnnxConverter.Convert(modelJson, weights));
            using var input = OrtValue.CreateTensorValueFromMemory(inputs, [4, .. SmallModel.InputShape]);
            using var outputs = session.Run(new RunOptions(), ["input"], [input], ["output"]);
            var actual = outputs[0].GetTensorDataAsSpan<float>().ToArray();

            Assert.Equal(expected.Length, actual.Length);
            var maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a) / Math.Max(1, Math.Abs(e))).Max();
            output.WriteLine($"largest difference from TensorFlow.js: {maxDiff:E2} (relative above 1) over {actual.Length} outputs: {string.Join(" ", expected)}");
            Assert.True(maxDiff < 1e-5, $"largest difference {maxDiff}");
            Assert.True(expected.Distinct().Count() == expected.Length && expected.Max() - expected.Min() > 1, "the reference outputs should vary");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// A Keras model with the layer options MobileNetV2 does not use: "same" padding with stride 2 on even sizes (the
    /// odd pixel at the end), depth multiplier 2 with bias, BatchNormalization that cannot be folded (after a ReLU, on
    /// a vector) and one without scale, ReLU without a maximum, Add of three, average pooling with padding, Flatten of
    /// a 2 × 1 × 8 map, Dense without bias and linear (a raw output, so differences are not hidden by a softmax); weights both raw float32 and uint8-quantised.
    /// </summary>
    private static class SmallModel
    {
        public static readonly int[] InputShape = [8, 6, 3];
        public static readonly int InputLength = 8 * 6 * 3;

        public static (string ModelJson, string Weights) Write(string directory)
        {
            var random = new Random(7);
            var layers = new JsonArray();
            var weightSpecs = new JsonArray();
            var weightData = new MemoryStream();

            void Layer(string name, string className, object config, params string[] inputs)
            {
                var node = JsonSerializer.SerializeToNode(config)!;
                node["name"] = name;
                layers.Add(new JsonObject
                {
                    ["name"] = name,
                    ["class_name"] = className,
                    ["config"] = node,
                    ["inbound_nodes"] = inputs.Length == 0 ? new JsonArray() : new JsonArray(new JsonArray([.. inputs.Select(i => (JsonNode)new JsonArray(i, 0, 0, new JsonObject()))])),
                });
            }

            void Weight(string name, int[] shape, double low = -1, double high = 1, bool quantised = false)
            {
                var count = shape.Aggregate(1, (a, b) => a * b);
                var spec = new JsonObject { ["name"] = name, ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]), ["dtype"] = "float32" };
                if (quantised)
                {
                    spec["quantization"] = new JsonObject { ["min"] = low, ["scale"] = (high - low) / 255, ["dtype"] = "uint8" };
                    for (var i = 0; i < count; i++)
                    {
                        weightData.WriteByte((byte)random.Next(256));
                    }
                }
                else
                {
                    for (var i = 0; i < count; i++)
                    {
                        weightData.Write(BitConverter.GetBytes((float)(low + (random.NextDouble() * (high - low)))));
                    }
                }

                weightSpecs.Add(spec);
            }

            void BatchNorm(string name, int channels, bool scale = true)
            {
                if (scale)
                {
                    Weight(name + "/gamma", [channels], 0.5, 1.5);
                }

                Weight(name + "/beta", [channels]);
                Weight(name + "/moving_mean", [channels]);
                Weight(name + "/moving_variance", [channels], 0.2, 2);
            }

            Layer("input_1", "InputLayer", new { batch_input_shape = new int?[] { null, 8, 6, 3 }, dtype = "float32", sparse = false });
            Layer("pad", "ZeroPadding2D", new { padding = 1, data_format = "channels_last" }, "input_1");
            Layer("conv_a", "Conv2D", new { filters = 4, kernel_size = new[] { 3, 3 }, strides = new[] { 2, 2 }, padding = "same", data_format = "channels_last", dilation_rate = new[] { 1, 1 }, activation = "relu", use_bias = true }, "pad");
            Weight("conv_a/kernel", [3, 3, 3, 4]);
            Weight("conv_a/bias", [4]);
            Layer("bn_a", "BatchNormalization", new { axis = -1, momentum = 0.99, epsilon = 0.001, center = true, scale = true }, "conv_a");
            BatchNorm("bn_a", 4);
            Layer("dw", "DepthwiseConv2D", new { kernel_size = new[] { 3, 3 }, strides = new[] { 2, 2 }, padding = "same", data_format = "channels_last", dilation_rate = new[] { 1, 1 }, activation = "linear", use_bias = true, depth_multiplier = 2 }, "bn_a");
            Weight("dw/depthwise_kernel", [3, 3, 4, 2]);
            Weight("dw/bias", [8]);
            Layer("bn_dw", "BatchNormalization", new { axis = 3, momentum = 0.99, epsilon = 0.01, center = true, scale = false }, "dw");
            BatchNorm("bn_dw", 8, scale: false);
            Layer("relu_dw", "ReLU", new { max_value = 6.0, negative_slope = 0.0, threshold = 0.0 }, "bn_dw");
            Layer("conv_b", "Conv2D", new { filters = 8, kernel_size = new[] { 1, 1 }, strides = new[] { 1, 1 }, padding = "valid", data_format = "channels_last", dilation_rate = new[] { 1, 1 }, activation = "linear", use_bias = false }, "relu_dw");
            Weight("conv_b/kernel", [1, 1, 8, 8], -0.8, 0.9, quantised: true);
            Layer("relu_b", "ReLU", new { max_value = (double?)null, negative_slope = 0.0, threshold = 0.0 }, "conv_b");
            Layer("add", "Add", new { }, "relu_dw", "relu_b", "conv_b");
            Layer("pool", "AveragePooling2D", new { pool_size = new[] { 2, 2 }, strides = (int[]?)null, padding = "same", data_format = "channels_last" }, "add");
            Layer("flatten", "Flatten", new { data_format = "channels_last" }, "pool");
            Layer("dense_1", "Dense", new { units = 6, activation = "relu", use_bias = true }, "flatten");
            Weight("dense_1/kernel", [16, 6]);
            Weight("dense_1/bias", [6]);
            Layer("bn_d", "BatchNormalization", new { axis = -1, momentum = 0.99, epsilon = 0.001, center = true, scale = true }, "dense_1");
            BatchNorm("bn_d", 6);
            Layer("drop", "Dropout", new { rate = 0.5 }, "bn_d");
            Layer("dense_2", "Dense", new { units = 4, activation = "linear", use_bias = false }, "drop");
            Weight("dense_2/kernel", [6, 4], -2, 2, quantised: true);

            var json = new JsonObject
            {
                ["modelTopology"] = new JsonObject
                {
                    ["keras_version"] = "2.2.4",
                    ["backend"] = "tensorflow",
                    ["model_config"] = new JsonObject
                    {
                        ["class_name"] = "Model",
                        ["config"] = new JsonObject
                        {
                            ["name"] = "small",
                            ["layers"] = layers,
                            ["input_layers"] = new JsonArray(new JsonArray("input_1", 0, 0)),
                            ["output_layers"] = new JsonArray(new JsonArray("dense_2", 0, 0)),
                        },
                    },
                },
                ["weightsManifest"] = new JsonArray(new JsonObject { ["paths"] = new JsonArray("weights.bin"), ["weights"] = weightSpecs }),
            };
            var modelJson = Path.Combine(directory, "model.json");
            var weights = Path.Combine(directory, "weights.bin");
            File.WriteAllText(modelJson, json.ToJsonString());
            File.WriteAllBytes(weights, weightData.ToArray());
            return (modelJson, weights);
        }
    }
}
