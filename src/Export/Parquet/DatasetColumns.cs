using System.Text.Json;
using AiSocial.Export.Writing;
using global::Parquet;
using global::Parquet.Schema;

namespace AiSocial.Export.Parquet;

/// <summary>
/// Every column the writer can produce, in file order, with its Parquet field, its Hugging Face feature and its
/// Croissant data type. A spec may choose a subset (<see cref="Select"/>); the order stays this one.
/// </summary>
internal sealed class DatasetColumns
{
    private delegate Task ColumnWrite(ParquetRowGroupWriter group, IReadOnlyList<DatasetRow> rows, ParquetOptions options, CancellationToken cancellationToken);

    private sealed record Column(string Name, Field Field, object Feature, string ParquetType, string CroissantType, string? JsonPath, ColumnWrite Write)
    {
        public bool Repeated { get; init; }

        public IReadOnlyList<ColumnSubField> SubFields { get; init; } = [];
    }

    public static IReadOnlyList<string> Names { get; } = [.. Build().Select(c => c.Name)];

    private readonly IReadOnlyList<Column> _columns;

    private DatasetColumns(IReadOnlyList<Column> columns)
    {
        _columns = columns;
        Schema = new ParquetSchema(columns.Select(c => c.Field));
        HuggingFace = JsonSerializer.Serialize(new
        {
            info = new { features = columns.ToDictionary(c => c.Name, c => c.Feature) },
        });
    }

    public ParquetSchema Schema { get; }

    /// <summary>The <c>huggingface</c> key-value metadata: <c>{"info":{"features":{…}}}</c> naming every column's feature.</summary>
    public string HuggingFace { get; }

    public IReadOnlyList<ColumnInfo> Info =>
        [.. _columns.Select(c => new ColumnInfo(c.Name, c.ParquetType, c.CroissantType, c.JsonPath) { Repeated = c.Repeated, SubFields = c.SubFields })];

    /// <summary>The columns named (null: all), in file order; refused for a name the writer does not know.</summary>
    /// <remarks>
    /// Every call builds its own field objects. Parquet.Net computes a field's definition and repetition levels when a
    /// schema takes it, by assigning and then incrementing; two schemas made at once from shared fields (two ranges of a
    /// run starting together) could leave a level at 2 where the footer says 1, and the shard's column unreadable
    /// ("Payload value bigger than allowed" in DuckDB), while its checksum still matched.
    /// </remarks>
    public static DatasetColumns Select(IReadOnlyList<string>? names)
    {
        var all = Build();
        if (names is null)
        {
            return new DatasetColumns(all);
        }

        var unknown = names.Except(Names).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown columns: {string.Join(", ", unknown)}. Known: {string.Join(", ", Names)}.", nameof(names));
        }

        return new DatasetColumns([.. all.Where(c => names.Contains(c.Name))]);
    }

    /// <summary>Writes one row group with the writer's <paramref name="options"/> (the image bytes excepted: see <see cref="StoredAsync"/>).</summary>
    public async Task WriteAsync(ParquetRowGroupWriter group, ParquetOptions options, IReadOnlyList<DatasetRow> rows, CancellationToken cancellationToken)
    {
        foreach (var column in _columns)
        {
            await column.Write(group, rows, options, cancellationToken);
        }

        group.CompleteValidate();
    }

    /// <summary>
    /// Writes a column chunk without a codec. Encoded images (PNG, JPEG, WebP) are what zstd cannot shrink (it took 0.15 %
    /// off them in <c>bench export</c>) while it spent CPU and two more copies of the chunk trying. A chunk's codec is its
    /// own in Parquet (each chunk's metadata names it), and Parquet.Net reads the writer's options as it writes each
    /// chunk, so the method is switched for this one and put back.
    /// </summary>
    private static async Task StoredAsync(ParquetOptions options, Func<Task> write)
    {
        var compression = options.CompressionMethod;
        options.CompressionMethod = CompressionMethod.None;
        try
        {
            await write();
        }
        finally
        {
            options.CompressionMethod = compression;
        }
    }

    private static Dictionary<string, string> Value(string dtype) => new() { ["dtype"] = dtype, ["_type"] = "Value" };

    private static Column Text(string name, Func<DatasetRow, string?> value, bool nullable = true)
    {
        var field = new DataField<string>(name, nullable);
        return new Column(name, field, Value("string"), "string", "sc:Text", null,
            async (group, rows, _, _) => await group.WriteAsync(field, rows.Select(value).ToArray(), null));
    }

    private static Column Int64(string name, Func<DatasetRow, long> value)
    {
        var field = new DataField<long>(name);
        return new Column(name, field, Value("int64"), "int64", "sc:Integer", null,
            async (group, rows, _, ct) => await group.WriteAsync<long>(field, rows.Select(value).ToArray(), null, null, ct));
    }

    private static Column NullableInt64(string name, Func<DatasetRow, long?> value)
    {
        var field = new DataField<long?>(name);
        return new Column(name, field, Value("int64"), "int64", "sc:Integer", null,
            async (group, rows, _, ct) => await group.WriteAsync<long>(field, rows.Select(value).ToArray(), null, null, ct));
    }

    private static Column Int32(string name, Func<DatasetRow, int> value)
    {
        var field = new DataField<int>(name);
        return new Column(name, field, Value("int32"), "int32", "sc:Integer", null,
            async (group, rows, _, ct) => await group.WriteAsync<int>(field, rows.Select(value).ToArray(), null, null, ct));
    }

    private static IReadOnlyList<Column> Build()
    {
        var imageBytes = new DataField<byte[]>("bytes");
        var imagePath = new DataField<string>("path");
        var image = new StructField("image", imageBytes, imagePath);

        var tag = new DataField<string>("element", nullable: false);
        var tags = new ListField("tags", tag);

        var signalSource = new DataField<string>("source", nullable: false);
        var signalCategory = new DataField<string>("category", nullable: false);
        var signalScore = new DataField<float>("score");
        var signalVersion = new DataField<string>("model_version", nullable: false);
        var signals = new ListField("model_signals", new StructField("element", signalSource, signalCategory, signalScore, signalVersion));

        var createdAt = new DateTimeDataField("created_at", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros);

        return
        [
            Text("post_id", r => r.PostId.ToString(), nullable: false),
            Text("row_key", r => r.RowKey, nullable: false),
            Text("author_id", r => r.AuthorId, nullable: false),
            Text("prompt", r => r.Prompt),
            Text("negative_prompt", r => r.NegativePrompt),
            Text("caption", r => r.Caption),
            Text("alt_text", r => r.AltText),
            new Column("tags", tags, new { feature = Value("string"), _type = "Sequence" }, "list<string>", "sc:Text", null,
                async (group, rows, _, ct) => await WriteTextListAsync(group, tag, rows, r => r.Tags, t => t, ct)) { Repeated = true },
            Text("generator", r => r.Generator),
            NullableInt64("seed", r => r.Seed),
            Int32("width", r => r.Width),
            Int32("height", r => r.Height),
            new Column("image", image, new Dictionary<string, string> { ["_type"] = "Image" }, "struct<bytes: binary, path: string>",
                "sc:ImageObject", "bytes", async (group, rows, options, _) =>
                {
                    await StoredAsync(options, async () => await group.WriteAsync(imageBytes, rows.Select(r => r.ImageBytes).ToArray(), null));
                    await group.WriteAsync(imagePath, rows.Select(r => r.ImagePath).ToArray(), null);
                }),
            Text("label_decision", r => r.LabelDecision, nullable: false),
            Text("label_source", r => r.LabelSource, nullable: false),
            Text("reviewer_role", r => r.ReviewerRole),
            Text("policy_version", r => r.PolicyVersion, nullable: false),
            new Column("model_signals", signals,
                new
                {
                    feature = new
                    {
                        source = Value("string"),
                        category = Value("string"),
                        score = Value("float32"),
                        model_version = Value("string"),
                    },
                    _type = "Sequence",
                },
                "list<struct<source: string, category: string, score: float, model_version: string>>", "sc:Text", null,
                async (group, rows, _, ct) =>
                {
                    await WriteTextListAsync(group, signalSource, rows, r => r.ModelSignals, s => s.Source, ct);
                    await WriteTextListAsync(group, signalCategory, rows, r => r.ModelSignals, s => s.Category, ct);
                    await WriteListAsync(group, signalScore, rows, r => r.ModelSignals, s => s.Score, ct);
                    await WriteTextListAsync(group, signalVersion, rows, r => r.ModelSignals, s => s.ModelVersion, ct);
                })
            {
                Repeated = true,
                SubFields = [new("source", "sc:Text"), new("category", "sc:Text"), new("score", "sc:Float"), new("model_version", "sc:Text")],
            },
            Int64("likes", r => r.Likes),
            Int64("comments", r => r.Comments),
            Int64("remixes", r => r.Remixes),
            Int64("views", r => r.Views),
            NullableInt64("median_dwell_ms", r => r.MedianDwellMs),
            Int64("consent_event_id", r => r.ConsentEventId),
            Text("license", r => r.License, nullable: false),
            new Column("created_at", createdAt, Value("timestamp[us, tz=UTC]"), "timestamp[us, UTC]", "sc:DateTime", null,
                async (group, rows, _, ct) => await group.WriteAsync<DateTime>(createdAt, rows.Select(r => r.CreatedAt.UtcDateTime).ToArray(), null, null, ct)),
        ];
    }

    /// <summary>
    /// One leaf of a list column (a list that is never null, of items that are never null), with its levels spelt out:
    /// an empty list is defined only to the list itself, every item to the leaf; each row's first item starts a record.
    /// </summary>
    private static async Task WriteListAsync<TItem, T>(ParquetRowGroupWriter group, DataField leaf, IReadOnlyList<DatasetRow> rows,
        Func<DatasetRow, IReadOnlyList<TItem>> items, Func<TItem, T> value, CancellationToken cancellationToken)
        where T : struct
    {
        var (values, definitions, repetitions) = Levels(leaf, rows, items, value);
        await group.WriteAllPartsAsync<T>(leaf, values, definitions, repetitions, cancellationToken);
    }

    /// <summary>A text leaf of a list column: Parquet.Net takes text as character memory when the levels are given.</summary>
    private static Task WriteTextListAsync<TItem>(ParquetRowGroupWriter group, DataField leaf, IReadOnlyList<DatasetRow> rows,
        Func<DatasetRow, IReadOnlyList<TItem>> items, Func<TItem, string> value, CancellationToken cancellationToken) =>
        WriteListAsync(group, leaf, rows, items, item => value(item).AsMemory(), cancellationToken);

    private static (T[] Values, int[] Definitions, int[] Repetitions) Levels<TItem, T>(DataField leaf, IReadOnlyList<DatasetRow> rows,
        Func<DatasetRow, IReadOnlyList<TItem>> items, Func<TItem, T> value)
    {
        var count = rows.Sum(r => Math.Max(1, items(r).Count));
        var values = new List<T>(count);
        var definitions = new int[count];
        var repetitions = new int[count];
        var at = 0;
        foreach (var row in rows)
        {
            var list = items(row);
            if (list.Count == 0)
            {
                definitions[at] = EmptyListLevel;
                repetitions[at++] = 0;
                continue;
            }

            for (var i = 0; i < list.Count; i++)
            {
                values.Add(value(list[i]));
                definitions[at] = leaf.MaxDefinitionLevel;
                repetitions[at++] = i == 0 ? 0 : 1;
            }
        }

        return ([.. values], definitions, repetitions);
    }

    // The list group is optional (level 1 when present); its repeated container adds the next level for an item.
    private const int EmptyListLevel = 1;
}
