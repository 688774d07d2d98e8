using System.Buffers;
using Google.Protobuf;

namespace AiSocial.Moderation.TextClassifier;

/// <summary>
/// Sets the <c>locale</c> attribute of every <c>StringNormalizer</c> node in an ONNX model. ML.NET's exporter leaves it
/// out, and ONNX Runtime then asks for <c>en_US.UTF-8</c>, which this machine image lacks. The model is edited at the
/// protobuf level (ModelProto.graph = 7, GraphProto.node = 1, NodeProto.op_type = 4 and attribute = 5,
/// AttributeProto.name = 1, s = 4, type = 20): every other field is copied byte for byte.
/// </summary>
internal static class OnnxStringNormalizerLocale
{
    private const int ModelGraph = 7;
    private const int GraphNode = 1;
    private const int NodeOpType = 4;
    private const int NodeAttribute = 5;
    private const int AttributeName = 1;
    private const int AttributeString = 4;
    private const int AttributeType = 20;
    private const int AttributeTypeString = 3;

    /// <summary>The model with the locale set (replacing any it had); throws if the model has no StringNormalizer node.</summary>
    public static byte[] Set(byte[] model, string locale)
    {
        ArgumentException.ThrowIfNullOrEmpty(locale);
        var patched = 0;
        byte[] result;
        try
        {
            result = RewriteField(model, ModelGraph, graph => RewriteField(graph, GraphNode, node => PatchNode(node, locale, ref patched)));
        }
        catch (InvalidProtocolBufferException exception)
        {
            throw new InvalidDataException("The ONNX model is not a valid protobuf message.", exception);
        }

        return patched > 0 ? result : throw new InvalidDataException("The ONNX model has no StringNormalizer node to set a locale on.");
    }

    /// <summary>The locale of each StringNormalizer node, in graph order (null where it has none).</summary>
    public static IReadOnlyList<string?> Read(byte[] model)
    {
        var locales = new List<string?>();
        foreach (var graph in Fields(model, ModelGraph))
        {
            foreach (var node in Fields(graph, GraphNode))
            {
                if (OpType(node) == "StringNormalizer")
                {
                    var attribute = Fields(node, NodeAttribute).FirstOrDefault(a => StringField(a, AttributeName) == "locale");
                    locales.Add(attribute is null ? null : StringField(attribute, AttributeString));
                }
            }
        }

        return locales;
    }

    /// <summary>Copies a message, passing each occurrence of one length-delimited field through <paramref name="rewrite"/>.</summary>
    private static byte[] RewriteField(byte[] message, int field, Func<byte[], byte[]> rewrite)
    {
        var output = new ArrayBufferWriter<byte>(message.Length + 64);
        var input = new CodedInputStream(message);
        var target = WireFormat.MakeTag(field, WireFormat.WireType.LengthDelimited);
        var start = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (tag == target)
            {
                WriteLengthDelimited(output, tag, rewrite(input.ReadBytes().ToByteArray()));
            }
            else
            {
                input.SkipLastField();
                output.Write(message.AsSpan(start, (int)input.Position - start));
            }

            start = (int)input.Position;
        }

        return output.WrittenSpan.ToArray();
    }

    private static byte[] PatchNode(byte[] node, string locale, ref int patched)
    {
        if (OpType(node) != "StringNormalizer")
        {
            return node;
        }

        patched++;
        var output = new ArrayBufferWriter<byte>(node.Length + 32);
        var input = new CodedInputStream(node);
        var attributeTag = WireFormat.MakeTag(NodeAttribute, WireFormat.WireType.LengthDelimited);
        var start = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            // An existing locale attribute is dropped here and written anew below; everything else is copied.
            var keep = tag != attributeTag || StringField(input.ReadBytes().ToByteArray(), AttributeName) != "locale";
            if (tag != attributeTag)
            {
                input.SkipLastField();
            }

            if (keep)
            {
                output.Write(node.AsSpan(start, (int)input.Position - start));
            }

            start = (int)input.Position;
        }

        var attribute = new ArrayBufferWriter<byte>(32);
        WriteLengthDelimited(attribute, WireFormat.MakeTag(AttributeName, WireFormat.WireType.LengthDelimited), "locale"u8);
        WriteLengthDelimited(attribute, WireFormat.MakeTag(AttributeString, WireFormat.WireType.LengthDelimited), System.Text.Encoding.UTF8.GetBytes(locale));
        WriteVarint(attribute, WireFormat.MakeTag(AttributeType, WireFormat.WireType.Varint));
        WriteVarint(attribute, AttributeTypeString);
        WriteLengthDelimited(output, attributeTag, attribute.WrittenSpan);
        return output.WrittenSpan.ToArray();
    }

    private static string? OpType(byte[] node) => StringField(node, NodeOpType);

    private static string? StringField(byte[] message, int field)
    {
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (tag == WireFormat.MakeTag(field, WireFormat.WireType.LengthDelimited))
            {
                return input.ReadString();
            }

            input.SkipLastField();
        }

        return null;
    }

    private static IEnumerable<byte[]> Fields(byte[] message, int field)
    {
        var input = new CodedInputStream(message);
        var target = WireFormat.MakeTag(field, WireFormat.WireType.LengthDelimited);
        var found = new List<byte[]>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (tag == target)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    private static void WriteLengthDelimited(IBufferWriter<byte> output, uint tag, ReadOnlySpan<byte> content)
    {
        WriteVarint(output, tag);
        WriteVarint(output, (uint)content.Length);
        output.Write(content);
    }

    private static void WriteVarint(IBufferWriter<byte> output, uint value)
    {
        var span = output.GetSpan(5);
        var length = 0;
        while (value >= 0x80)
        {
            span[length++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[length++] = (byte)value;
        output.Advance(length);
    }
}
