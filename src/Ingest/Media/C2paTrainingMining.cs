using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Text;
using System.Text.Json;

namespace AiSocial.Ingest.Media;

/// <summary>
/// Reads the C2PA / CAWG training-and-mining assertion (labels <c>cawg.training-mining</c> and the older
/// <c>c2pa.training-mining</c>) from an image's embedded C2PA manifest store: the JUMBF superbox in JPEG APP11 segments
/// (JPEG XT framing, continued across segments), a PNG <c>caBX</c> chunk or a WebP <c>C2PA</c> chunk. Only the active
/// manifest (the store's last) counts; ingredients' manifests describe other files. The assertion's content is CBOR or
/// JSON: <c>{"entries": {"cawg.ai_training": {"use": "allowed"|"notAllowed"|"constrained"}, ...}}</c>. Nothing is
/// verified (no signature or hash is checked): this records what the file claims.
/// </summary>
internal static class C2paTrainingMining
{
    public static readonly string[] Labels = ["cawg.training-mining", "c2pa.training-mining"];

    private static readonly string[] Uses = ["allowed", "notAllowed", "constrained"];

    /// <summary>What was found: the entries (purpose → use), null when there is no store or no such assertion; or why it could not be read.</summary>
    public readonly record struct Reading(IReadOnlyDictionary<string, string>? Entries, string? Problem);

    public static Reading Read(ReadOnlySpan<byte> image, ImageFormat format)
    {
        try
        {
            var store = format == ImageFormat.Jpeg ? JpegStore(image)
                : format == ImageFormat.Png ? Chunk(image, 8, "caBX"u8, bigEndian: true)
                : format == ImageFormat.Webp ? Chunk(image, 12, "C2PA"u8, bigEndian: false)
                : null;
            return store is null ? default : ReadStore(store);
        }
        catch (Exception exception) when (exception is FormatException or CborContentException or InvalidOperationException or JsonException
                                              or ArgumentException or DecoderFallbackException)
        {
            return new Reading(null, $"C2PA: {exception.Message}");
        }
    }

    private static Reading ReadStore(byte[] store)
    {
        var root = Box.Parse(store, 0, store.Length) ?? throw new FormatException("the manifest store is not a JUMBF box.");
        if (root.Type != "jumb" || root.Description(store) is not { Type: "c2pa" })
        {
            throw new FormatException("the manifest store's box is not a c2pa superbox.");
        }

        var manifests = root.Children(store).Where(b => b.Type == "jumb" && b.Description(store) is { Type: "c2ma" or "c2um" }).ToList();
        if (manifests.Count == 0)
        {
            return default;
        }

        var assertionStore = manifests[^1].Children(store).FirstOrDefault(b => b.Type == "jumb" && b.Description(store) is { Type: "c2as" });
        if (assertionStore is null)
        {
            return default;
        }

        Dictionary<string, string>? entries = null;
        foreach (var assertion in assertionStore.Children(store).Where(b => b.Type == "jumb"))
        {
            var description = assertion.Description(store);
            // A label may carry an instance suffix ("cawg.training-mining__1").
            var label = description?.Label?.Split("__")[0];
            if (label is null || !Labels.Contains(label))
            {
                continue;
            }

            var content = assertion.Children(store).FirstOrDefault(b => b.Type is "cbor" or "json")
                ?? throw new FormatException($"the {label} assertion has no CBOR or JSON content.");
            var found = content.Type == "cbor" ? FromCbor(content.Content(store)) : FromJson(content.Content(store));
            entries ??= new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (purpose, use) in found)
            {
                // Both labels present and disagreeing: the stricter word stands.
                entries[purpose] = entries.TryGetValue(purpose, out var other) && Strictness(other) > Strictness(use) ? other : use;
            }
        }

        return new Reading(entries, null);
    }

    private static int Strictness(string use) => use switch { "allowed" => 0, "constrained" => 1, _ => 2 };

    private static string Use(string purpose, string? use) =>
        use is not null && Uses.Contains(use) ? use : throw new FormatException($"the use of '{purpose}' is not allowed, notAllowed or constrained.");

    private static Dictionary<string, string> FromJson(ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        if (!document.RootElement.TryGetProperty("entries", out var entries) || entries.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the training-mining assertion has no entries.");
        }

        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries.EnumerateObject())
        {
            var use = entry.Value.ValueKind == JsonValueKind.Object && entry.Value.TryGetProperty("use", out var u) && u.ValueKind == JsonValueKind.String
                ? u.GetString()
                : null;
            found[entry.Name] = Use(entry.Name, use);
        }

        return found;
    }

    private static Dictionary<string, string> FromCbor(ReadOnlySpan<byte> cbor)
    {
        var reader = new CborReader(cbor.ToArray(), CborConformanceMode.Lax);
        Dictionary<string, string>? found = null;
        var fields = reader.ReadStartMap() ?? throw new FormatException("indefinite-length maps are not read.");
        for (var i = 0; i < fields; i++)
        {
            var key = reader.ReadTextString();
            if (key != "entries")
            {
                reader.SkipValue();
                continue;
            }

            found = [];
            var count = reader.ReadStartMap() ?? throw new FormatException("indefinite-length maps are not read.");
            for (var j = 0; j < count; j++)
            {
                var purpose = reader.ReadTextString();
                string? use = null;
                var members = reader.ReadStartMap() ?? throw new FormatException("indefinite-length maps are not read.");
                for (var k = 0; k < members; k++)
                {
                    if (reader.ReadTextString() == "use" && reader.PeekState() == CborReaderState.TextString)
                    {
                        use = reader.ReadTextString();
                    }
                    else
                    {
                        reader.SkipValue();
                    }
                }

                reader.ReadEndMap();
                found[purpose] = Use(purpose, use);
            }

            reader.ReadEndMap();
        }

        reader.ReadEndMap();
        return found ?? throw new FormatException("the training-mining assertion has no entries.");
    }

    /// <summary>
    /// The manifest store from APP11 segments: each carries "JP", a box instance number, a packet sequence number and
    /// a part of the box; the first part has the box's header, later parts repeat it before their bytes.
    /// </summary>
    private static byte[]? JpegStore(ReadOnlySpan<byte> jpeg)
    {
        var parts = new SortedDictionary<(int Instance, uint Sequence), byte[]>();
        var at = 2;
        while (at + 4 <= jpeg.Length && jpeg[at] == 0xFF)
        {
            var marker = jpeg[at + 1];
            if (marker is 0xFF)
            {
                at++;
                continue;
            }

            if (marker is 0xD8 or 0x01 or >= 0xD0 and <= 0xD7)
            {
                at += 2;
                continue;
            }

            if (marker is 0xDA or 0xD9)
            {
                break;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(at + 2)..]);
            if (length < 2 || at + 2 + length > jpeg.Length)
            {
                break;
            }

            var segment = jpeg.Slice(at + 4, length - 2);
            if (marker == 0xEB && segment.Length >= 16 && segment.StartsWith("JP"u8))
            {
                parts[(BinaryPrimitives.ReadUInt16BigEndian(segment[2..]), BinaryPrimitives.ReadUInt32BigEndian(segment[4..]))] = segment[8..].ToArray();
            }

            at += 2 + length;
        }

        foreach (var instance in parts.Keys.Select(k => k.Instance).Distinct())
        {
            var sequence = parts.Where(p => p.Key.Instance == instance).Select(p => p.Value).ToList();
            var first = sequence[0];
            var header = BinaryPrimitives.ReadUInt32BigEndian(first) == 1 ? 16 : 8;
            using var assembled = new MemoryStream();
            assembled.Write(first);
            foreach (var part in sequence.Skip(1))
            {
                assembled.Write(part.AsSpan(Math.Min(header, part.Length)));
            }

            // Other JPEG XT boxes may use APP11 too: the manifest store is the superbox whose description has the c2pa type.
            var store = assembled.ToArray();
            if (store.Length >= 24 && store.AsSpan(4, 4).SequenceEqual("jumb"u8) && store.AsSpan(12, 4).SequenceEqual("jumd"u8)
                && store.AsSpan(16, 4).SequenceEqual("c2pa"u8))
            {
                return store;
            }
        }

        return null;
    }

    /// <summary>The data of the first chunk of this type in a PNG (big-endian lengths, with CRC) or RIFF (little-endian, padded) file.</summary>
    private static byte[]? Chunk(ReadOnlySpan<byte> file, int start, ReadOnlySpan<byte> type, bool bigEndian)
    {
        long at = start;
        while (at + 8 <= file.Length)
        {
            var length = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(file[(int)at..]) : BinaryPrimitives.ReadUInt32LittleEndian(file[(int)at..]);
            var name = bigEndian ? file.Slice((int)at + 4, 4) : file.Slice((int)at, 4);
            if (at + 8 + length > file.Length)
            {
                return null;
            }

            if (name.SequenceEqual(type))
            {
                return file.Slice((int)at + 8, (int)length).ToArray();
            }

            at += 8L + length + (bigEndian ? 4 : length & 1);
        }

        return null;
    }

    private sealed record Description(string Type, string? Label);

    /// <summary>A JUMBF (ISO/IEC 19566-5) box: its type and where its content lies in the buffer.</summary>
    private sealed record Box(string Type, int ContentStart, int ContentEnd)
    {
        public static Box? Parse(byte[] buffer, int at, int end)
        {
            if (end - at < 8)
            {
                return null;
            }

            long size = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(at));
            var header = 8;
            if (size == 1)
            {
                if (end - at < 16)
                {
                    return null;
                }

                size = (long)BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(at + 8));
                header = 16;
            }
            else if (size == 0)
            {
                size = end - at;
            }

            if (size < header || size > end - at)
            {
                throw new FormatException("a JUMBF box runs past its end.");
            }

            return new Box(Encoding.ASCII.GetString(buffer, at + 4, 4), at + header, (int)Math.Min(at + size, end));
        }

        public ReadOnlySpan<byte> Content(byte[] buffer) => buffer.AsSpan(ContentStart, ContentEnd - ContentStart);

        public IEnumerable<Box> Children(byte[] buffer)
        {
            var at = ContentStart;
            while (Parse(buffer, at, ContentEnd) is { } child)
            {
                yield return child;
                at = child.ContentEnd;
            }
        }

        /// <summary>The superbox's description box: its type (the UUID's first four bytes, e.g. c2pa, c2ma, c2as, cbor, json) and label.</summary>
        public Description? Description(byte[] buffer)
        {
            if (Children(buffer).FirstOrDefault() is not { Type: "jumd" } jumd)
            {
                return null;
            }

            var content = jumd.Content(buffer);
            if (content.Length < 17)
            {
                throw new FormatException("a JUMBF description box is too short.");
            }

            string? label = null;
            if ((content[16] & 0x02) != 0)
            {
                var text = content[17..];
                var nul = text.IndexOf((byte)0);
                label = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(nul < 0 ? text : text[..nul]);
            }

            return new Description(Encoding.ASCII.GetString(content[..4]), label);
        }
    }
}
