using System.Buffers.Binary;
using System.Text.Json;

namespace AiSocial.SafetyModels.Onnx;

/// <summary>One layer of a Keras functional model: its class, its config and the layers whose outputs it reads.</summary>
internal sealed record KerasLayer(string Name, string ClassName, JsonElement Config, IReadOnlyList<string> Inputs);

/// <summary>A weight dequantised to float32, with its Keras shape.</summary>
internal sealed record KerasWeight(string Name, IReadOnlyList<int> Shape, float[] Values);

/// <summary>
/// A TensorFlow.js layers model as <c>tools/models/unpack-nsfwjs.cjs</c> writes it: <c>model.json</c> (Keras topology
/// and weights manifest, optionally with the npm package and version it came from) and the concatenated weight bytes.
/// Weights are float32, either raw or uint8-quantised (value = q × scale + min, as TensorFlow.js decodes them).
/// </summary>
internal sealed class KerasModel
{
    private readonly Dictionary<string, KerasWeight> _weights;

    private KerasModel(string? package, string? version, string? kerasVersion, IReadOnlyList<KerasLayer> layers, IReadOnlyList<string> inputLayers, IReadOnlyList<string> outputLayers, Dictionary<string, KerasWeight> weights)
    {
        Package = package;
        Version = version;
        KerasVersion = kerasVersion;
        Layers = layers;
        InputLayers = inputLayers;
        OutputLayers = outputLayers;
        _weights = weights;
    }

    public string? Package { get; }

    public string? Version { get; }

    public string? KerasVersion { get; }

    /// <summary>The layers in the order the topology lists them (each after the layers it reads).</summary>
    public IReadOnlyList<KerasLayer> Layers { get; }

    public IReadOnlyList<string> InputLayers { get; }

    public IReadOnlyList<string> OutputLayers { get; }

    public IEnumerable<KerasWeight> Weights => _weights.Values;

    public KerasWeight Weight(string name) =>
        _weights.TryGetValue(name, out var weight) ? weight : throw new InvalidDataException($"The model has no weight named '{name}'.");

    public bool HasWeight(string name) => _weights.ContainsKey(name);

    public static KerasModel Load(string modelJsonPath, string weightsPath) =>
        Parse(File.ReadAllBytes(modelJsonPath), File.ReadAllBytes(weightsPath));

    public static KerasModel Parse(ReadOnlySpan<byte> modelJson, ReadOnlySpan<byte> weightData)
    {
        using var document = JsonDocument.Parse(modelJson.ToArray());
        var root = document.RootElement;
        var topology = Property(root, "modelTopology");
        var modelConfig = Property(topology, "model_config");
        var modelClass = Property(modelConfig, "class_name").GetString();
        if (modelClass is not ("Model" or "Functional"))
        {
            throw new NotSupportedException($"Keras model class '{modelClass}' is not supported; only functional models (Model) are.");
        }

        var config = Property(modelConfig, "config");
        var layers = Property(config, "layers").EnumerateArray().Select(ReadLayer).ToList();
        var inputLayers = Property(config, "input_layers").EnumerateArray().Select(TensorLayer).ToList();
        var outputLayers = Property(config, "output_layers").EnumerateArray().Select(TensorLayer).ToList();
        var weights = ReadWeights(Property(root, "weightsManifest"), weightData);
        return new KerasModel(
            OptionalString(root, "package"),
            OptionalString(root, "version"),
            OptionalString(topology, "keras_version"),
            layers,
            inputLayers,
            outputLayers,
            weights);
    }

    private static KerasLayer ReadLayer(JsonElement layer)
    {
        var name = Property(layer, "name").GetString() ?? throw new InvalidDataException("A layer has no name.");
        var className = Property(layer, "class_name").GetString() ?? throw new InvalidDataException($"Layer '{name}' has no class.");
        var inbound = Property(layer, "inbound_nodes");
        var calls = inbound.GetArrayLength();
        if (calls > 1)
        {
            throw new NotSupportedException($"Layer '{name}' ({className}) is called {calls} times; shared layers are not supported.");
        }

        var inputs = new List<string>();
        if (calls == 1)
        {
            foreach (var entry in inbound[0].EnumerateArray())
            {
                // [layer name, node index, tensor index, call kwargs]
                if (entry[1].GetInt32() != 0 || entry[2].GetInt32() != 0 || (entry.GetArrayLength() > 3 && entry[3].EnumerateObject().Any()))
                {
                    throw new NotSupportedException($"Layer '{name}' ({className}) reads {entry.GetRawText()}; only the single output of a single call (with no call arguments) is supported.");
                }

                inputs.Add(entry[0].GetString()!);
            }
        }

        return new KerasLayer(name, className, Property(layer, "config").Clone(), inputs);
    }

    private static string TensorLayer(JsonElement tensor)
    {
        if (tensor[1].GetInt32() != 0 || tensor[2].GetInt32() != 0)
        {
            throw new NotSupportedException($"Model input/output {tensor.GetRawText()} is not a layer's single output.");
        }

        return tensor[0].GetString()!;
    }

    private static Dictionary<string, KerasWeight> ReadWeights(JsonElement manifest, ReadOnlySpan<byte> data)
    {
        var weights = new Dictionary<string, KerasWeight>(StringComparer.Ordinal);
        var offset = 0;
        foreach (var group in manifest.EnumerateArray())
        {
            foreach (var spec in Property(group, "weights").EnumerateArray())
            {
                var name = Property(spec, "name").GetString()!;
                var shape = Property(spec, "shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
                var count = shape.Aggregate(1, (product, dim) => checked(product * dim));
                var dtype = Property(spec, "dtype").GetString();
                if (dtype != "float32")
                {
                    throw new NotSupportedException($"Weight '{name}' has dtype {dtype}; only float32 weights are supported.");
                }

                var values = new float[count];
                if (spec.TryGetProperty("quantization", out var quantization))
                {
                    var quantizedAs = Property(quantization, "dtype").GetString();
                    if (quantizedAs != "uint8")
                    {
                        throw new NotSupportedException($"Weight '{name}' is quantised as {quantizedAs}; only uint8 quantisation is supported.");
                    }

                    var bytes = Take(data, ref offset, count, name);
                    var scale = Property(quantization, "scale").GetDouble();
                    var min = Property(quantization, "min").GetDouble();
                    for (var i = 0; i < count; i++)
                    {
                        // In double, then rounded to float32: what TensorFlow.js's weight decoder does.
                        values[i] = (float)((bytes[i] * scale) + min);
                    }
                }
                else
                {
                    var bytes = Take(data, ref offset, count * sizeof(float), name);
                    for (var i = 0; i < count; i++)
                    {
                        values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
                    }
                }

                if (!weights.TryAdd(name, new KerasWeight(name, shape, values)))
                {
                    throw new InvalidDataException($"The weights manifest lists '{name}' twice.");
                }
            }
        }

        if (offset != data.Length)
        {
            throw new InvalidDataException($"The weights manifest accounts for {offset} bytes but the weight data has {data.Length}.");
        }

        return weights;
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int offset, int length, string name)
    {
        if (data.Length - offset < length)
        {
            throw new InvalidDataException($"The weight data ends before weight '{name}' (needs {length} bytes at offset {offset}, has {data.Length - offset}).");
        }

        var slice = data.Slice(offset, length);
        offset += length;
        return slice;
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value
            : throw new InvalidDataException($"The model JSON has no '{name}' where it is expected.");

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
