using System.Buffers.Binary;
using Google.Protobuf;

namespace AiSocial.SafetyModels.Onnx;

/// <summary>One dimension of a graph input or output: a fixed size, or a symbolic name such as the batch size "N".</summary>
internal readonly record struct OnnxDimension(long Size, string? Symbol)
{
    public static implicit operator OnnxDimension(long size) => new(size, null);

    public static implicit operator OnnxDimension(string symbol) => new(0, symbol);
}

/// <summary>A node attribute (ONNX <c>AttributeProto</c>).</summary>
internal sealed class OnnxAttribute
{
    private OnnxAttribute(string name, AttributeType type)
    {
        Name = name;
        Type = type;
    }

    internal enum AttributeType
    {
        Float = 1,
        Int = 2,
        String = 3,
        Floats = 6,
        Ints = 7,
    }

    public string Name { get; }

    internal AttributeType Type { get; }

    private float FloatValue { get; init; }

    private long IntValue { get; init; }

    private string StringValue { get; init; } = "";

    private float[] FloatValues { get; init; } = [];

    private long[] IntValues { get; init; } = [];

    public static OnnxAttribute Float(string name, float value) => new(name, AttributeType.Float) { FloatValue = value };

    public static OnnxAttribute Int(string name, long value) => new(name, AttributeType.Int) { IntValue = value };

    public static OnnxAttribute String(string name, string value) => new(name, AttributeType.String) { StringValue = value };

    public static OnnxAttribute Floats(string name, params float[] values) => new(name, AttributeType.Floats) { FloatValues = values };

    public static OnnxAttribute Ints(string name, params long[] values) => new(name, AttributeType.Ints) { IntValues = values };

    // AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20.
    internal void WriteTo(CodedOutputStream output)
    {
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteString(Name);
        switch (Type)
        {
            case AttributeType.Float:
                output.WriteTag(2, WireFormat.WireType.Fixed32);
                output.WriteFloat(FloatValue);
                break;
            case AttributeType.Int:
                output.WriteTag(3, WireFormat.WireType.Varint);
                output.WriteInt64(IntValue);
                break;
            case AttributeType.String:
                output.WriteTag(4, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.CopyFromUtf8(StringValue));
                break;
            case AttributeType.Floats:
                foreach (var value in FloatValues)
                {
                    output.WriteTag(7, WireFormat.WireType.Fixed32);
                    output.WriteFloat(value);
                }

                break;
            case AttributeType.Ints:
                foreach (var value in IntValues)
                {
                    output.WriteTag(8, WireFormat.WireType.Varint);
                    output.WriteInt64(value);
                }

                break;
        }

        output.WriteTag(20, WireFormat.WireType.Varint);
        output.WriteEnum((int)Type);
    }
}

/// <summary>
/// Builds an ONNX model (one graph, default domain) and writes it as protobuf, encoded by hand from the field
/// numbers in <c>onnx.proto</c>. Only float32 and int64 tensors; values are embedded as little-endian raw data.
/// </summary>
internal sealed class OnnxModelBuilder(string graphName, int opset = 13)
{
    // IR version 7 is the one that goes with opsets 12 and 13.
    private const long IrVersion = 7;
    private const int FloatType = 1;
    private const int Int64Type = 7;

    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private readonly List<string> _outputNames = [];
    private readonly List<KeyValuePair<string, string>> _metadata = [];
    private readonly HashSet<string> _names = [];

    public string ProducerName { get; init; } = "AiSocial";

    public string ProducerVersion { get; init; } = "1";

    public int NodeCount => _nodes.Count;

    /// <summary>A graph input of element type float32.</summary>
    public void AddInput(string name, params OnnxDimension[] shape)
    {
        Define(name);
        _inputs.Add(ValueInfo(name, shape));
    }

    /// <summary>A graph output of element type float32; some node must produce it.</summary>
    public void AddOutput(string name, params OnnxDimension[] shape)
    {
        _outputNames.Add(name);
        _outputs.Add(ValueInfo(name, shape));
    }

    public string AddInitializer(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values)
    {
        CheckSize(name, dims, values.Length);
        var raw = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
        }

        Define(name);
        _initializers.Add(Tensor(name, dims, FloatType, raw));
        return name;
    }

    public string AddInt64Initializer(string name, ReadOnlySpan<long> dims, ReadOnlySpan<long> values)
    {
        CheckSize(name, dims, values.Length);
        var raw = new byte[values.Length * sizeof(long)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * sizeof(long)), values[i]);
        }

        Define(name);
        _initializers.Add(Tensor(name, dims, Int64Type, raw));
        return name;
    }

    /// <summary>Adds a node of the default domain. An empty input name marks an omitted optional input.</summary>
    public void AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params OnnxAttribute[] attributes)
    {
        foreach (var input in inputs)
        {
            if (input.Length > 0 && !_names.Contains(input))
            {
                throw new InvalidOperationException($"{opType} node reads '{input}', which no input, initializer or earlier node defines.");
            }
        }

        foreach (var output in outputs)
        {
            Define(output);
        }

        var name = $"{opType}_{_nodes.Count}";
        _nodes.Add(Message(output =>
        {
            foreach (var input in inputs)
            {
                WriteString(output, 1, input);
            }

            foreach (var value in outputs)
            {
                WriteString(output, 2, value);
            }

            WriteString(output, 3, name);
            WriteString(output, 4, opType);
            foreach (var attribute in attributes)
            {
                WriteMessage(output, 5, Message(attribute.WriteTo));
            }
        }));
    }

    public bool IsDefined(string name) => _names.Contains(name);

    public void AddMetadata(string key, string value) => _metadata.Add(new(key, value));

    public byte[] ToBytes()
    {
        foreach (var name in _outputNames)
        {
            if (!_names.Contains(name))
            {
                throw new InvalidOperationException($"Graph '{graphName}' has an output '{name}' that nothing produces.");
            }
        }

        var graph = Message(output =>
        {
            foreach (var node in _nodes)
            {
                WriteMessage(output, 1, node);
            }

            WriteString(output, 2, graphName);
            foreach (var initializer in _initializers)
            {
                WriteMessage(output, 5, initializer);
            }

            foreach (var input in _inputs)
            {
                WriteMessage(output, 11, input);
            }

            foreach (var value in _outputs)
            {
                WriteMessage(output, 12, value);
            }
        });

        // ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8, metadata_props 14.
        return Message(output =>
        {
            output.WriteTag(1, WireFormat.WireType.Varint);
            output.WriteInt64(IrVersion);
            WriteString(output, 2, ProducerName);
            WriteString(output, 3, ProducerVersion);
            WriteMessage(output, 7, graph);
            WriteMessage(output, 8, Message(opsetId =>
            {
                WriteString(opsetId, 1, "");
                opsetId.WriteTag(2, WireFormat.WireType.Varint);
                opsetId.WriteInt64(opset);
            }));
            foreach (var (key, value) in _metadata)
            {
                WriteMessage(output, 14, Message(entry =>
                {
                    WriteString(entry, 1, key);
                    WriteString(entry, 2, value);
                }));
            }
        });
    }

    private void Define(string name)
    {
        if (string.IsNullOrEmpty(name) || !_names.Add(name))
        {
            throw new InvalidOperationException($"The value name '{name}' is empty or already defined in graph '{graphName}'.");
        }
    }

    private static void CheckSize(string name, ReadOnlySpan<long> dims, int count)
    {
        long size = 1;
        foreach (var dim in dims)
        {
            size *= dim;
        }

        if (size != count)
        {
            throw new ArgumentException($"Initializer '{name}' has {count} values but its shape [{string.Join(", ", dims.ToArray())}] holds {size}.");
        }
    }

    // TensorProto: dims 1, data_type 2, name 8, raw_data 9.
    private static byte[] Tensor(string name, ReadOnlySpan<long> dims, int dataType, byte[] raw)
    {
        var dimsCopy = dims.ToArray();
        return Message(output =>
        {
            foreach (var dim in dimsCopy)
            {
                output.WriteTag(1, WireFormat.WireType.Varint);
                output.WriteInt64(dim);
            }

            output.WriteTag(2, WireFormat.WireType.Varint);
            output.WriteInt32(dataType);
            WriteString(output, 8, name);
            output.WriteTag(9, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(UnsafeByteOperations.UnsafeWrap(raw));
        });
    }

    // ValueInfoProto { name 1, type 2: TypeProto { tensor_type 1: { elem_type 1, shape 2: TensorShapeProto { dim 1: { dim_value 1 | dim_param 2 } } } } }
    private static byte[] ValueInfo(string name, OnnxDimension[] shape)
    {
        var tensorShape = Message(output =>
        {
            foreach (var dim in shape)
            {
                WriteMessage(output, 1, Message(dimension =>
                {
                    if (dim.Symbol is { } symbol)
                    {
                        WriteString(dimension, 2, symbol);
                    }
                    else
                    {
                        dimension.WriteTag(1, WireFormat.WireType.Varint);
                        dimension.WriteInt64(dim.Size);
                    }
                }));
            }
        });
        var tensorType = Message(output =>
        {
            output.WriteTag(1, WireFormat.WireType.Varint);
            output.WriteInt32(FloatType);
            WriteMessage(output, 2, tensorShape);
        });
        return Message(output =>
        {
            WriteString(output, 1, name);
            WriteMessage(output, 2, Message(type => WriteMessage(type, 1, tensorType)));
        });
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            write(output);
        }

        return buffer.ToArray();
    }

    private static void WriteMessage(CodedOutputStream output, int field, byte[] message)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(UnsafeByteOperations.UnsafeWrap(message));
    }

    private static void WriteString(CodedOutputStream output, int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }
}
