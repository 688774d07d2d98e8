using System.Text.Json;

namespace AiSocial.SafetyModels.Onnx;

/// <summary>Names and labels the converted model gets.</summary>
internal sealed record KerasConversion
{
    public string InputName { get; init; } = "input";

    public string OutputName { get; init; } = "output";

    /// <summary>Class names in output order, stored as JSON in the model's <c>labels</c> metadata (none if empty).</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];
}

/// <summary>
/// Converts a Keras functional image model (channels last, as TensorFlow.js runs it) to ONNX, opset 13. Supports
/// exactly: InputLayer, ZeroPadding2D, Conv2D, DepthwiseConv2D, BatchNormalization, ReLU, Add, AveragePooling2D,
/// Flatten, Dense and Dropout; anything else is refused with <see cref="NotSupportedException"/> naming the layer.
/// The ONNX model takes the same NHWC input and gives the same output; inside it runs NCHW (one transpose at the
/// start, one before Flatten). A BatchNormalization right after a linear convolution is folded into its weights.
/// </summary>
internal static class KerasToOnnxConverter
{
    public static void Convert(string modelJsonPath, string weightsPath, string onnxPath, KerasConversion? conversion = null)
    {
        var bytes = Convert(modelJsonPath, weightsPath, conversion);
        var temporary = onnxPath + ".partial";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, onnxPath, overwrite: true);
    }

    public static byte[] Convert(string modelJsonPath, string weightsPath, KerasConversion? conversion = null) =>
        Convert(KerasModel.Load(modelJsonPath, weightsPath), conversion);

    public static byte[] Convert(KerasModel model, KerasConversion? conversion = null) =>
        new Converter(model, conversion ?? new KerasConversion()).Run();

    /// <summary>A Keras tensor as it exists in the ONNX graph. Shape excludes the batch: [H, W, C] (held NCHW in ONNX) or [units].</summary>
    private sealed record Value(string Name, int[] Shape)
    {
        public bool IsImage => Shape.Length == 3;
    }

    private sealed class Converter(KerasModel model, KerasConversion conversion)
    {
        private readonly OnnxModelBuilder _graph = new("keras") { ProducerName = "AiSocial Keras-to-ONNX" };
        private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<KerasLayer>> _consumers = new(StringComparer.Ordinal);
        private readonly HashSet<string> _folded = new(StringComparer.Ordinal);
        private readonly HashSet<string> _weightsUsed = new(StringComparer.Ordinal);

        public byte[] Run()
        {
            if (model.InputLayers.Count != 1 || model.OutputLayers.Count != 1)
            {
                throw new NotSupportedException($"The model has {model.InputLayers.Count} inputs and {model.OutputLayers.Count} outputs; only one of each is supported.");
            }

            foreach (var layer in model.Layers)
            {
                foreach (var input in layer.Inputs)
                {
                    if (!_consumers.TryGetValue(input, out var list))
                    {
                        _consumers[input] = list = [];
                    }

                    list.Add(layer);
                }
            }

            foreach (var layer in model.Layers)
            {
                if (!_folded.Contains(layer.Name))
                {
                    ConvertLayer(layer);
                }
            }

            var output = _values.GetValueOrDefault(model.OutputLayers[0])
                ?? throw new InvalidDataException($"The output layer '{model.OutputLayers[0]}' is not among the layers.");
            FinishOutput(output);
            var unused = model.Weights.Select(w => w.Name).Where(n => !_weightsUsed.Contains(n)).ToList();
            if (unused.Count > 0)
            {
                throw new NotSupportedException($"The conversion left weights unused, so some layer config is not understood: {string.Join(", ", unused.Take(5))}.");
            }

            if (model.Package is { } package)
            {
                _graph.AddMetadata("source", $"{package} {model.Version}");
            }

            if (model.KerasVersion is { } kerasVersion)
            {
                _graph.AddMetadata("keras_version", kerasVersion);
            }

            if (conversion.Labels.Count > 0)
            {
                if (output.Shape is not [var classes] || classes != conversion.Labels.Count)
                {
                    throw new InvalidDataException($"{conversion.Labels.Count} labels were given but the model's output has shape [{string.Join(", ", output.Shape)}].");
                }

                _graph.AddMetadata("labels", JsonSerializer.Serialize(conversion.Labels));
            }

            return _graph.ToBytes();
        }

        private void ConvertLayer(KerasLayer layer)
        {
            var config = new LayerConfig(layer);
            switch (layer.ClassName)
            {
                case "InputLayer":
                    Input(layer, config);
                    break;
                case "ZeroPadding2D":
                    ZeroPadding(layer, config);
                    break;
                case "Conv2D":
                    Convolution(layer, config, depthwise: false);
                    break;
                case "DepthwiseConv2D":
                    Convolution(layer, config, depthwise: true);
                    break;
                case "BatchNormalization":
                    BatchNormalization(layer);
                    break;
                case "ReLU":
                    Relu(layer, config);
                    break;
                case "Add":
                    Add(layer);
                    break;
                case "AveragePooling2D":
                    AveragePooling(layer, config);
                    break;
                case "Flatten":
                    Flatten(layer, config);
                    break;
                case "Dense":
                    Dense(layer, config);
                    break;
                case "Dropout":
                    _values[layer.Name] = Single(layer);
                    break;
                default:
                    throw new NotSupportedException($"Layer '{layer.Name}' is a {layer.ClassName}, which the converter does not support.");
            }
        }

        private void Input(KerasLayer layer, LayerConfig config)
        {
            if (model.InputLayers[0] != layer.Name)
            {
                throw new NotSupportedException($"Input layer '{layer.Name}' is not the model's input.");
            }

            var dtype = config.OptionalString("dtype") ?? "float32";
            var shape = config.Element("batch_input_shape").EnumerateArray()
                .Skip(1)
                .Select(d => d.ValueKind == JsonValueKind.Number ? d.GetInt32() : throw new NotSupportedException($"Input layer '{layer.Name}' has a dimension of unknown size; the converter needs fixed sizes."))
                .ToArray();
            if (dtype != "float32" || shape.Length is not (1 or 3))
            {
                throw new NotSupportedException($"Input layer '{layer.Name}' is {dtype} [{string.Join(", ", shape)}]; only float32 images (H, W, C) or vectors are supported.");
            }

            _graph.AddInput(conversion.InputName, [(OnnxDimension)"N", .. shape.Select(d => (OnnxDimension)d)]);
            if (shape.Length == 3)
            {
                var nchw = layer.Name + "_nchw";
                _graph.AddNode("Transpose", [conversion.InputName], [nchw], OnnxAttribute.Ints("perm", 0, 3, 1, 2));
                _values[layer.Name] = new Value(nchw, shape);
            }
            else
            {
                _values[layer.Name] = new Value(conversion.InputName, shape);
            }
        }

        private void ZeroPadding(KerasLayer layer, LayerConfig config)
        {
            var input = Image(layer);
            config.RequireChannelsLast();
            var ((top, bottom), (left, right)) = config.Padding2D("padding");
            var pads = _graph.AddInt64Initializer(layer.Name + "/pads", [8], [0, 0, top, left, 0, 0, bottom, right]);
            _graph.AddNode("Pad", [input.Name, pads], [layer.Name]);
            _values[layer.Name] = new Value(layer.Name, [input.Shape[0] + top + bottom, input.Shape[1] + left + right, input.Shape[2]]);
        }

        private void Convolution(KerasLayer layer, LayerConfig config, bool depthwise)
        {
            var input = Image(layer);
            config.RequireChannelsLast();
            var (kernelHeight, kernelWidth) = config.Pair("kernel_size");
            var (strideY, strideX) = config.Pair("strides");
            if (config.Pair("dilation_rate") != (1, 1) || (config.Has("groups") && config.Int("groups") != 1))
            {
                throw new NotSupportedException($"Layer '{layer.Name}' uses dilation or groups, which the converter does not support.");
            }

            var activation = config.Activation("linear", "relu");
            var inChannels = input.Shape[2];
            var kernel = UseWeight(layer.Name + (depthwise ? "/depthwise_kernel" : "/kernel"));
            var multiplier = depthwise ? config.Int("depth_multiplier") : 0;
            var outChannels = depthwise ? inChannels * multiplier : config.Int("filters");
            int[] expected = depthwise ? [kernelHeight, kernelWidth, inChannels, multiplier] : [kernelHeight, kernelWidth, inChannels, outChannels];
            RequireShape(kernel, expected);

            // Keras [kh, kw, in, out] (depthwise [kh, kw, in, multiplier]) → ONNX [out, in / group, kh, kw].
            var weights = new double[outChannels * (depthwise ? 1 : inChannels) * kernelHeight * kernelWidth];
            for (var y = 0; y < kernelHeight; y++)
            {
                for (var x = 0; x < kernelWidth; x++)
                {
                    for (var i = 0; i < inChannels; i++)
                    {
                        var perInput = depthwise ? multiplier : outChannels;
                        for (var j = 0; j < perInput; j++)
                        {
                            var value = kernel.Values[(((((y * kernelWidth) + x) * inChannels) + i) * perInput) + j];
                            var target = depthwise
                                ? ((((i * multiplier) + j) * kernelHeight) + y) * kernelWidth + x
                                : ((((j * inChannels) + i) * kernelHeight) + y) * kernelWidth + x;
                            weights[target] = value;
                        }
                    }
                }
            }

            double[]? bias = null;
            if (config.Bool("use_bias"))
            {
                var biasWeight = UseWeight(layer.Name + "/bias");
                RequireShape(biasWeight, [outChannels]);
                bias = [.. biasWeight.Values.Select(v => (double)v)];
            }

            var outputName = layer.Name;
            if (activation == "linear" && SoleConsumer(layer) is { ClassName: "BatchNormalization" } batchNorm && ChannelAxis(batchNorm, 3))
            {
                var (scale, shift) = BatchNormFactors(batchNorm, outChannels);
                var perOutput = weights.Length / outChannels;
                bias ??= new double[outChannels];
                for (var o = 0; o < outChannels; o++)
                {
                    for (var k = 0; k < perOutput; k++)
                    {
                        weights[(o * perOutput) + k] *= scale[o];
                    }

                    bias[o] = (bias[o] * scale[o]) + shift[o];
                }

                _folded.Add(batchNorm.Name);
                outputName = batchNorm.Name;
            }

            var (outHeight, padTop, padBottom) = Window(layer, config, input.Shape[0], kernelHeight, strideY);
            var (outWidth, padLeft, padRight) = Window(layer, config, input.Shape[1], kernelWidth, strideX);
            var weightName = _graph.AddInitializer(layer.Name + "/onnx_kernel", [outChannels, depthwise ? 1 : inChannels, kernelHeight, kernelWidth], ToFloats(weights));
            List<string> inputs = [input.Name, weightName];
            if (bias is not null)
            {
                inputs.Add(_graph.AddInitializer(layer.Name + "/onnx_bias", [outChannels], ToFloats(bias)));
            }

            var convOutput = activation == "relu" ? layer.Name + "_linear" : outputName;
            _graph.AddNode(
                "Conv",
                inputs,
                [convOutput],
                OnnxAttribute.Ints("kernel_shape", kernelHeight, kernelWidth),
                OnnxAttribute.Ints("strides", strideY, strideX),
                OnnxAttribute.Ints("pads", padTop, padLeft, padBottom, padRight),
                OnnxAttribute.Ints("dilations", 1, 1),
                OnnxAttribute.Int("group", depthwise ? inChannels : 1));
            if (activation == "relu")
            {
                _graph.AddNode("Relu", [convOutput], [outputName]);
            }

            _values[outputName] = new Value(outputName, [outHeight, outWidth, outChannels]);
        }

        private void BatchNormalization(KerasLayer layer)
        {
            var input = Single(layer);
            if (!ChannelAxis(layer, input.Shape.Length))
            {
                throw new NotSupportedException($"BatchNormalization '{layer.Name}' normalises an axis other than the channels, which the converter does not support.");
            }

            var channels = input.Shape[^1];
            var (scale, shift) = BatchNormFactors(layer, channels);
            long[] dims = input.IsImage ? [channels, 1, 1] : [channels];
            var scaleName = _graph.AddInitializer(layer.Name + "/onnx_scale", dims, ToFloats(scale));
            var shiftName = _graph.AddInitializer(layer.Name + "/onnx_shift", dims, ToFloats(shift));
            _graph.AddNode("Mul", [input.Name, scaleName], [layer.Name + "_scaled"]);
            _graph.AddNode("Add", [layer.Name + "_scaled", shiftName], [layer.Name]);
            _values[layer.Name] = input with { Name = layer.Name };
        }

        private void Relu(KerasLayer layer, LayerConfig config)
        {
            var input = Single(layer);
            if (config.OptionalDouble("negative_slope") is not (null or 0.0) || config.OptionalDouble("threshold") is not (null or 0.0))
            {
                throw new NotSupportedException($"ReLU '{layer.Name}' has a negative slope or threshold, which the converter does not support.");
            }

            if (config.OptionalDouble("max_value") is { } max)
            {
                var min = Scalar(0);
                var maxName = Scalar((float)max);
                _graph.AddNode("Clip", [input.Name, min, maxName], [layer.Name]);
            }
            else
            {
                _graph.AddNode("Relu", [input.Name], [layer.Name]);
            }

            _values[layer.Name] = input with { Name = layer.Name };
        }

        private void Add(KerasLayer layer)
        {
            var inputs = layer.Inputs.Select(Get).ToList();
            if (inputs.Count < 2 || inputs.Any(i => !i.Shape.SequenceEqual(inputs[0].Shape)))
            {
                throw new NotSupportedException($"Add '{layer.Name}' adds {inputs.Count} tensors of different or broadcast shapes, which the converter does not support.");
            }

            var sum = inputs[0].Name;
            for (var i = 1; i < inputs.Count; i++)
            {
                var name = i == inputs.Count - 1 ? layer.Name : $"{layer.Name}_partial{i}";
                _graph.AddNode("Add", [sum, inputs[i].Name], [name]);
                sum = name;
            }

            _values[layer.Name] = inputs[0] with { Name = layer.Name };
        }

        private void AveragePooling(KerasLayer layer, LayerConfig config)
        {
            var input = Image(layer);
            config.RequireChannelsLast();
            var (poolHeight, poolWidth) = config.Pair("pool_size");
            var (strideY, strideX) = config.Has("strides") && config.Element("strides").ValueKind != JsonValueKind.Null ? config.Pair("strides") : (poolHeight, poolWidth);
            var (outHeight, padTop, padBottom) = Window(layer, config, input.Shape[0], poolHeight, strideY);
            var (outWidth, padLeft, padRight) = Window(layer, config, input.Shape[1], poolWidth, strideX);

            // TensorFlow leaves the padding out of each average: count_include_pad = 0.
            _graph.AddNode(
                "AveragePool",
                [input.Name],
                [layer.Name],
                OnnxAttribute.Ints("kernel_shape", poolHeight, poolWidth),
                OnnxAttribute.Ints("strides", strideY, strideX),
                OnnxAttribute.Ints("pads", padTop, padLeft, padBottom, padRight),
                OnnxAttribute.Int("count_include_pad", 0));
            _values[layer.Name] = new Value(layer.Name, [outHeight, outWidth, input.Shape[2]]);
        }

        private void Flatten(KerasLayer layer, LayerConfig config)
        {
            var input = Single(layer);
            if (!input.IsImage)
            {
                _values[layer.Name] = input;
                return;
            }

            config.RequireChannelsLast();

            // Keras flattens channels-last (H, W, C order); the graph holds NCHW, so transpose back first.
            var nhwc = layer.Name + "_nhwc";
            _graph.AddNode("Transpose", [input.Name], [nhwc], OnnxAttribute.Ints("perm", 0, 2, 3, 1));
            _graph.AddNode("Flatten", [nhwc], [layer.Name], OnnxAttribute.Int("axis", 1));
            _values[layer.Name] = new Value(layer.Name, [input.Shape[0] * input.Shape[1] * input.Shape[2]]);
        }

        private void Dense(KerasLayer layer, LayerConfig config)
        {
            var input = Single(layer);
            if (input.IsImage)
            {
                throw new NotSupportedException($"Dense '{layer.Name}' reads a 4-D tensor; the converter supports Dense only after Flatten.");
            }

            var activation = config.Activation("linear", "relu", "softmax");
            var units = config.Int("units");
            var kernel = UseWeight(layer.Name + "/kernel");
            RequireShape(kernel, [input.Shape[0], units]);
            var kernelName = _graph.AddInitializer(layer.Name + "/onnx_kernel", [input.Shape[0], units], kernel.Values);
            List<string> inputs = [input.Name, kernelName];
            if (config.Bool("use_bias"))
            {
                var bias = UseWeight(layer.Name + "/bias");
                RequireShape(bias, [units]);
                inputs.Add(_graph.AddInitializer(layer.Name + "/onnx_bias", [units], bias.Values));
            }

            var linear = activation == "linear" ? layer.Name : layer.Name + "_linear";
            _graph.AddNode("Gemm", inputs, [linear]);
            switch (activation)
            {
                case "relu":
                    _graph.AddNode("Relu", [linear], [layer.Name]);
                    break;
                case "softmax":
                    _graph.AddNode("Softmax", [linear], [layer.Name], OnnxAttribute.Int("axis", 1));
                    break;
            }

            _values[layer.Name] = new Value(layer.Name, [units]);
        }

        private void FinishOutput(Value output)
        {
            var name = conversion.OutputName;
            if (output.IsImage)
            {
                _graph.AddNode("Transpose", [output.Name], [name], OnnxAttribute.Ints("perm", 0, 2, 3, 1));
            }
            else
            {
                _graph.AddNode("Identity", [output.Name], [name]);
            }

            _graph.AddOutput(name, [(OnnxDimension)"N", .. output.Shape.Select(d => (OnnxDimension)d)]);
        }

        /// <summary>Per channel: scale = γ / √(variance + ε), shift = β − mean × scale, computed in double.</summary>
        private (double[] Scale, double[] Shift) BatchNormFactors(KerasLayer layer, int channels)
        {
            var config = new LayerConfig(layer);
            var epsilon = config.Double("epsilon");
            var mean = UseWeight(layer.Name + "/moving_mean");
            var variance = UseWeight(layer.Name + "/moving_variance");
            var gamma = config.Bool("scale") ? UseWeight(layer.Name + "/gamma") : null;
            var beta = config.Bool("center") ? UseWeight(layer.Name + "/beta") : null;
            foreach (var weight in new[] { mean, variance, gamma, beta })
            {
                if (weight is not null)
                {
                    RequireShape(weight, [channels]);
                }
            }

            var scale = new double[channels];
            var shift = new double[channels];
            for (var c = 0; c < channels; c++)
            {
                scale[c] = (gamma?.Values[c] ?? 1.0) / Math.Sqrt(variance.Values[c] + epsilon);
                shift[c] = (beta?.Values[c] ?? 0.0) - (mean.Values[c] * scale[c]);
            }

            return (scale, shift);
        }

        private static bool ChannelAxis(KerasLayer batchNorm, int rank)
        {
            var axis = new LayerConfig(batchNorm).Int("axis");
            return axis == -1 || axis == rank;
        }

        /// <summary>Output size and padding along one axis; "same" pads as TensorFlow does, the odd pixel at the end.</summary>
        private static (int Size, long Before, long After) Window(KerasLayer layer, LayerConfig config, int size, int window, int stride)
        {
            switch (config.String("padding"))
            {
                case "valid":
                    if (size < window)
                    {
                        throw new InvalidDataException($"Layer '{layer.Name}' has a window of {window} over an input of {size}.");
                    }

                    return (((size - window) / stride) + 1, 0, 0);
                case "same":
                    var output = (size + stride - 1) / stride;
                    var total = Math.Max(((output - 1) * stride) + window - size, 0);
                    return (output, total / 2, total - (total / 2));
                default:
                    throw new NotSupportedException($"Layer '{layer.Name}' has padding '{config.String("padding")}', which the converter does not support.");
            }
        }

        private KerasLayer? SoleConsumer(KerasLayer layer) =>
            model.OutputLayers[0] != layer.Name && _consumers.TryGetValue(layer.Name, out var consumers) && consumers.Count == 1 ? consumers[0] : null;

        private Value Get(string name) =>
            _values.GetValueOrDefault(name) ?? throw new InvalidDataException($"Layer '{name}' is read before it is defined; the layers are not in order.");

        private Value Single(KerasLayer layer) =>
            layer.Inputs.Count == 1 ? Get(layer.Inputs[0]) : throw new NotSupportedException($"Layer '{layer.Name}' ({layer.ClassName}) has {layer.Inputs.Count} inputs; it should have one.");

        private Value Image(KerasLayer layer) =>
            Single(layer) is { IsImage: true } value ? value : throw new NotSupportedException($"Layer '{layer.Name}' ({layer.ClassName}) needs an image (H, W, C) input.");

        private KerasWeight UseWeight(string name)
        {
            _weightsUsed.Add(name);
            return model.Weight(name);
        }

        private static void RequireShape(KerasWeight weight, int[] shape)
        {
            if (!weight.Shape.SequenceEqual(shape))
            {
                throw new InvalidDataException($"Weight '{weight.Name}' has shape [{string.Join(", ", weight.Shape)}]; the layer needs [{string.Join(", ", shape)}].");
            }
        }

        private string Scalar(float value)
        {
            var name = $"scalar_{value:R}";
            if (!_graph.IsDefined(name))
            {
                _graph.AddInitializer(name, [], [value]);
            }

            return name;
        }

        private static float[] ToFloats(double[] values) => [.. values.Select(v => (float)v)];
    }

    /// <summary>Typed reads of a layer's config, with errors that name the layer.</summary>
    private readonly struct LayerConfig(KerasLayer layer)
    {
        public bool Has(string name) => layer.Config.TryGetProperty(name, out _);

        public JsonElement Element(string name) =>
            layer.Config.TryGetProperty(name, out var value) ? value : throw new InvalidDataException($"Layer '{layer.Name}' ({layer.ClassName}) has no '{name}' in its config.");

        public int Int(string name) => Element(name).GetInt32();

        public double Double(string name) => Element(name).GetDouble();

        public bool Bool(string name) => Element(name).GetBoolean();

        public string String(string name) => Element(name).GetString() ?? "";

        public string? OptionalString(string name) => layer.Config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        public double? OptionalDouble(string name) => layer.Config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

        /// <summary>An int or a pair of ints (Keras accepts either for sizes and strides).</summary>
        public (int, int) Pair(string name)
        {
            var value = Element(name);
            return value.ValueKind == JsonValueKind.Number ? (value.GetInt32(), value.GetInt32()) : (value[0].GetInt32(), value[1].GetInt32());
        }

        /// <summary>ZeroPadding2D's padding: n, (rows, cols) or ((top, bottom), (left, right)).</summary>
        public ((int, int), (int, int)) Padding2D(string name)
        {
            var value = Element(name);
            if (value.ValueKind == JsonValueKind.Number)
            {
                var n = value.GetInt32();
                return ((n, n), (n, n));
            }

            (int, int) Side(JsonElement side) => side.ValueKind == JsonValueKind.Number ? (side.GetInt32(), side.GetInt32()) : (side[0].GetInt32(), side[1].GetInt32());
            return (Side(value[0]), Side(value[1]));
        }

        public string Activation(params string[] supported)
        {
            var activation = OptionalString("activation") ?? "linear";
            return supported.Contains(activation)
                ? activation
                : throw new NotSupportedException($"Layer '{layer.Name}' ({layer.ClassName}) has activation '{activation}'; the converter supports {string.Join(", ", supported)}.");
        }

        public void RequireChannelsLast()
        {
            if (OptionalString("data_format") is { } format && format != "channels_last")
            {
                throw new NotSupportedException($"Layer '{layer.Name}' ({layer.ClassName}) is {format}; the converter supports channels_last only.");
            }
        }
    }
}
