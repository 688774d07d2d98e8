using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiSocial.Export.Datasets;
using AiSocial.Export.Parquet;
using AiSocial.Export.Writing;
using global::Parquet;
using global::Parquet.Schema;

namespace AiSocial.Export.Runs;

/// <summary>
/// What describes a run's content. Nothing here may hold the run id or a wall-clock time: croissant.json, README.md and
/// revocations.parquet of a rerun on unchanged data are byte-identical. <see cref="DataAsOf"/> is the newest change in
/// the data the run read, not when it ran.
/// </summary>
internal sealed record RunContent(
    DatasetSpec Spec,
    int SpecVersion,
    string Version,
    string Url,
    DateTimeOffset DataAsOf,
    string PolicyVersion,
    string? ConsentLedgerHeadHash,
    IReadOnlyDictionary<string, string> ModelVersions,
    WriteResult Written,
    IReadOnlyDictionary<string, long> Splits,
    ShardFile Revocations,
    long RevocationsListed);

/// <summary>A revoked row as revocations.parquet lists it.</summary>
internal sealed record RevokedRow(string RowKey, Guid PostId, string Shard, string Reason, DateTimeOffset RevokedAt);

/// <summary>croissant.json (Croissant 1.1 + RAI 1.0), the Hugging Face dataset card README.md and revocations.parquet of a run.</summary>
internal static class RunDocuments
{
    public const string Croissant = "croissant.json";
    public const string Card = "README.md";
    public const string RevocationsFile = "revocations.parquet";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly Dictionary<string, string> SplitUrls = new()
    {
        ["train"] = "cr:TrainingSplit",
        ["validation"] = "cr:ValidationSplit",
        ["test"] = "cr:TestSplit",
    };

    /// <summary>Writes the bytes into the staging directory and names the file as the manifest lists it.</summary>
    public static async Task<ShardFile> WriteAsync(string staging, string path, byte[] bytes, CancellationToken cancellationToken)
    {
        var full = Path.Combine(staging, path);
        await using (var stream = new FileStream(full, FileMode.CreateNew, FileAccess.Write))
        {
            await stream.WriteAsync(bytes, cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        return new ShardFile(path, 0, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>The revocations as Parquet: every row an earlier run published that must now be deleted, in row-key order.</summary>
    public static async Task<byte[]> RevocationsAsync(IReadOnlyList<RevokedRow> rows, CancellationToken cancellationToken)
    {
        // Fields of their own: Parquet.Net sets a field's levels when a schema takes it, which two runs publishing at once
        // would race on if they shared the field objects (DatasetColumns explains).
        DataField<string> rowKey = new("row_key"), postId = new("post_id"), shard = new("shard"), reason = new("reason");
        DataField<DateTime> revokedAt = new("revoked_at");
        using var buffer = new MemoryStream();
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Zstd, CompressionLevel = System.IO.Compression.CompressionLevel.Optimal };
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(rowKey, postId, shard, reason, revokedAt), buffer, options,
            cancellationToken: cancellationToken))
        {
            if (rows.Count > 0)
            {
                using var group = writer.CreateRowGroup();
                await group.WriteAsync(rowKey, rows.Select(r => r.RowKey).ToArray(), null);
                await group.WriteAsync(postId, rows.Select(r => r.PostId.ToString()).ToArray(), null);
                await group.WriteAsync(shard, rows.Select(r => r.Shard).ToArray(), null);
                await group.WriteAsync(reason, rows.Select(r => r.Reason).ToArray(), null);
                await group.WriteAsync<DateTime>(revokedAt, rows.Select(r => r.RevokedAt.UtcDateTime).ToArray(), null, null, cancellationToken);
                group.CompleteValidate();
            }
        }

        return buffer.ToArray();
    }

    /// <summary>croissant.json: the record set's fields are the writer's columns, so they match the Parquet schema.</summary>
    public static byte[] CroissantJson(RunContent run)
    {
        var spec = run.Spec;
        var dataFiles = run.Written.Files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var distribution = new JsonArray();
        foreach (var file in dataFiles)
        {
            distribution.Add(new JsonObject
            {
                ["@type"] = "cr:FileObject",
                ["@id"] = file.Path,
                ["name"] = file.Path,
                ["contentUrl"] = file.Path,
                ["encodingFormat"] = "application/x-parquet",
                ["contentSize"] = $"{file.Bytes} B",
                ["sha256"] = file.Sha256,
            });
        }

        distribution.Add(new JsonObject
        {
            ["@type"] = "cr:FileSet",
            ["@id"] = "parquet-files",
            ["name"] = "parquet-files",
            ["description"] = "Every data shard, data/{split}-{i:05d}-of-{n:05d}.parquet.",
            ["encodingFormat"] = "application/x-parquet",
            ["includes"] = "data/*.parquet",
        });
        distribution.Add(new JsonObject
        {
            ["@type"] = "cr:FileObject",
            ["@id"] = RevocationsFile,
            ["name"] = RevocationsFile,
            ["description"] = "Rows earlier versions published that must be deleted, with the reason.",
            ["contentUrl"] = RevocationsFile,
            ["encodingFormat"] = "application/x-parquet",
            ["contentSize"] = $"{run.Revocations.Bytes} B",
            ["sha256"] = run.Revocations.Sha256,
        });

        var fields = new JsonArray();
        foreach (var column in run.Written.Columns)
        {
            var source = new JsonObject { ["fileSet"] = new JsonObject { ["@id"] = "parquet-files" }, ["extract"] = new JsonObject { ["column"] = column.Name } };
            if (column.JsonPath is { } jsonPath)
            {
                source["transform"] = new JsonObject { ["jsonPath"] = jsonPath };
            }

            var field = new JsonObject
            {
                ["@type"] = "cr:Field",
                ["@id"] = $"default/{column.Name}",
                ["name"] = column.Name,
                ["description"] = $"Parquet {column.ParquetType}.",
                ["dataType"] = column.CroissantDataType,
                ["source"] = source,
            };
            if (column.Repeated)
            {
                // A list: Croissant 1.1 says so with isArray (any length); 1.0 readers know repeated.
                field["isArray"] = true;
                field["arrayShape"] = "-1";
                field["repeated"] = true;
            }

            if (column.SubFields.Count > 0)
            {
                // A list of records: the field's type is its records', each part read from the element by its name.
                field.Remove("dataType");
                field["subField"] = new JsonArray([.. column.SubFields.Select(sub => (JsonNode)new JsonObject
                {
                    ["@type"] = "cr:Field",
                    ["@id"] = $"default/{column.Name}/{sub.Name}",
                    ["name"] = sub.Name,
                    ["dataType"] = sub.CroissantDataType,
                    ["source"] = new JsonObject
                    {
                        ["fileSet"] = new JsonObject { ["@id"] = "parquet-files" },
                        ["extract"] = new JsonObject { ["column"] = column.Name },
                        ["transform"] = new JsonObject { ["jsonPath"] = sub.Name },
                    },
                })]);
            }

            fields.Add(field);
        }

        fields.Add(new JsonObject
        {
            ["@type"] = "cr:Field",
            ["@id"] = "default/split",
            ["name"] = "split",
            ["description"] = "The split, from the shard's file name.",
            ["dataType"] = "sc:Text",
            ["references"] = new JsonObject { ["field"] = new JsonObject { ["@id"] = "splits/name" } },
            ["source"] = new JsonObject
            {
                ["fileSet"] = new JsonObject { ["@id"] = "parquet-files" },
                ["extract"] = new JsonObject { ["fileProperty"] = "fullpath" },
                ["transform"] = new JsonObject { ["regex"] = "^(?:.*/)?(train|validation|test)-\\d{5}-of-\\d{5}\\.parquet$" },
            },
        });

        var splitRows = new JsonArray();
        foreach (var (split, url) in SplitUrls.Where(s => run.Splits.ContainsKey(s.Key)))
        {
            splitRows.Add(new JsonObject { ["splits/name"] = split, ["splits/url"] = url });
        }

        var revocationFields = new JsonArray();
        foreach (var (name, type) in new[] { ("row_key", "sc:Text"), ("post_id", "sc:Text"), ("shard", "sc:Text"), ("reason", "sc:Text"), ("revoked_at", "sc:DateTime") })
        {
            revocationFields.Add(new JsonObject
            {
                ["@type"] = "cr:Field",
                ["@id"] = $"revocations/{name}",
                ["name"] = name,
                ["dataType"] = type,
                ["source"] = new JsonObject { ["fileObject"] = new JsonObject { ["@id"] = RevocationsFile }, ["extract"] = new JsonObject { ["column"] = name } },
            });
        }

        var excluded = string.Join(", ", run.Written.Excluded.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} {e.Value}"));
        var document = new JsonObject
        {
            ["@context"] = Context(),
            ["@type"] = "sc:Dataset",
            ["dct:conformsTo"] = new JsonArray("http://mlcommons.org/croissant/1.1", "http://mlcommons.org/croissant/RAI/1.0"),
            ["name"] = spec.Name,
            ["description"] = spec.Description,
            ["license"] = $"https://spdx.org/licenses/{spec.License}.html",
            ["url"] = run.Url,
            ["version"] = run.Version,
            ["datePublished"] = run.DataAsOf.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            ["creator"] = new JsonObject { ["@type"] = "sc:Organization", ["name"] = "AiSocial" },
            ["keywords"] = new JsonArray("AI-generated images", "text-to-image", spec.Purpose),
            ["prov:wasDerivedFrom"] = new JsonObject
            {
                ["@type"] = "prov:Entity",
                ["name"] = "AiSocial posts, moderation labels and the consent ledger",
                ["description"] = $"Posts with their images, prompts and labels as of {run.DataAsOf.UtcDateTime:O}; consent ledger head hash {run.ConsentLedgerHeadHash ?? "(empty)"}.",
            },
            ["prov:wasGeneratedBy"] = new JsonObject
            {
                ["@type"] = "prov:Activity",
                ["name"] = "AiSocial dataset export",
                ["description"] = $"Spec version {run.SpecVersion}; moderation policy {run.PolicyVersion}; models {ModelVersionsText(run.ModelVersions)}.",
            },
            ["rai:dataCollection"] = "Images generated with AI models and posted, with their prompts and captions, by users of the AiSocial feed; only posts whose authors gave consent for the purpose are included.",
            ["rai:dataCollectionType"] = "User-generated content data",
            ["rai:personalSensitiveInformation"] = "Author ids are pseudonymised with a salted HMAC; e-mail addresses, phone numbers, URLs and @handles are scrubbed from text. "
                + (spec.Filters.IncludeSensitive ? "Posts moderation marked sensitive are included." : "Posts moderation marked sensitive are excluded."),
            ["rai:dataPreprocessingProtocol"] = $"Each post is checked for consent ({spec.Purpose}), creator opt-outs, moderation state, reports, and machine-readable TDM signals on the image; excluded: {(excluded.Length == 0 ? "none" : excluded)}. Exact and near-duplicates (PDQ) are collapsed; splits come from a salted hash of the row key.",
            ["rai:dataReleaseMaintenancePlan"] = "Each run publishes a new semver version; removing rows is a major bump. revocations.parquet lists every earlier row that must be deleted (consent withdrawn, creator opt-out, erasure, moderation, report, deleted); consumers must delete them.",
            ["rai:dataUseCases"] = $"Training and evaluating image generation, captioning and preference models under the CAWG purpose {spec.Purpose}.",
            ["rai:dataLimitations"] = "Only content from consenting users of one platform; the images are AI-generated, not photographs; labels reflect one moderation policy.",
            ["rai:dataBiases"] = "Reflects the prompts, styles and generators popular with the platform's users and what its moderation approves.",
            ["rai:machineAnnotationTools"] = ModelVersionsText(run.ModelVersions),
            ["distribution"] = distribution,
            ["recordSet"] = new JsonArray(
                new JsonObject
                {
                    ["@type"] = "cr:RecordSet",
                    ["dataType"] = "cr:Split",
                    ["@id"] = "splits",
                    ["name"] = "splits",
                    ["key"] = new JsonObject { ["@id"] = "splits/name" },
                    ["field"] = new JsonArray(
                        new JsonObject { ["@type"] = "cr:Field", ["@id"] = "splits/name", ["name"] = "name", ["dataType"] = "sc:Text" },
                        new JsonObject { ["@type"] = "cr:Field", ["@id"] = "splits/url", ["name"] = "url", ["dataType"] = "sc:URL" }),
                    ["data"] = splitRows,
                },
                new JsonObject
                {
                    ["@type"] = "cr:RecordSet",
                    ["@id"] = "default",
                    ["name"] = "default",
                    ["description"] = "One row per post.",
                    ["field"] = fields,
                },
                new JsonObject
                {
                    ["@type"] = "cr:RecordSet",
                    ["@id"] = "revocations",
                    ["name"] = "revocations",
                    ["description"] = "Rows earlier versions published that must be deleted.",
                    ["field"] = revocationFields,
                }),
        };
        return Encoding.UTF8.GetBytes(document.ToJsonString(Indented) + "\n");
    }

    private static string ModelVersionsText(IReadOnlyDictionary<string, string> models) =>
        models.Count == 0 ? "none" : string.Join("; ", models.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key} {m.Value}"));

    private static JsonObject Context() => new()
    {
        ["@language"] = "en",
        ["@vocab"] = "https://schema.org/",
        ["citeAs"] = "cr:citeAs",
        ["column"] = "cr:column",
        ["conformsTo"] = "dct:conformsTo",
        ["cr"] = "http://mlcommons.org/croissant/",
        ["rai"] = "http://mlcommons.org/croissant/RAI/",
        ["prov"] = "http://www.w3.org/ns/prov#",
        ["data"] = new JsonObject { ["@id"] = "cr:data", ["@type"] = "@json" },
        ["dataType"] = new JsonObject { ["@id"] = "cr:dataType", ["@type"] = "@vocab" },
        ["dct"] = "http://purl.org/dc/terms/",
        ["examples"] = new JsonObject { ["@id"] = "cr:examples", ["@type"] = "@json" },
        ["extract"] = "cr:extract",
        ["field"] = "cr:field",
        ["fileProperty"] = "cr:fileProperty",
        ["fileObject"] = "cr:fileObject",
        ["fileSet"] = "cr:fileSet",
        ["format"] = "cr:format",
        ["includes"] = "cr:includes",
        ["isArray"] = "cr:isArray",
        ["arrayShape"] = "cr:arrayShape",
        ["isLiveDataset"] = "cr:isLiveDataset",
        ["jsonPath"] = "cr:jsonPath",
        ["key"] = "cr:key",
        ["md5"] = "cr:md5",
        ["parentField"] = "cr:parentField",
        ["path"] = "cr:path",
        ["recordSet"] = "cr:recordSet",
        ["references"] = "cr:references",
        ["regex"] = "cr:regex",
        ["repeated"] = "cr:repeated",
        ["replace"] = "cr:replace",
        ["sc"] = "https://schema.org/",
        ["separator"] = "cr:separator",
        ["source"] = "cr:source",
        ["subField"] = "cr:subField",
        ["transform"] = "cr:transform",
    };

    /// <summary>The Hugging Face dataset card: YAML front matter (licence, a config with each split's files) and the sections ML engineers look for.</summary>
    public static byte[] DatasetCard(RunContent run)
    {
        var spec = run.Spec;
        var written = run.Written;
        var card = new StringBuilder();
        card.Append("---\n");
        card.Append($"license: {spec.License.ToLowerInvariant()}\n");
        card.Append($"pretty_name: {spec.Name}\n");
        card.Append("task_categories:\n- text-to-image\n");
        card.Append("tags:\n- ai-generated\n- croissant\n");
        card.Append("configs:\n- config_name: default\n  data_files:\n");
        foreach (var split in run.Splits.Keys)
        {
            card.Append($"  - split: {split}\n    path: data/{split}-*.parquet\n");
        }

        card.Append("---\n\n");
        card.Append($"# {spec.Name}\n\n");
        card.Append("## Dataset summary\n\n");
        card.Append($"{spec.Description.Trim()}\n\n");
        card.Append($"Version {run.Version} (spec version {run.SpecVersion}), data as of {run.DataAsOf.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC: ");
        card.Append($"{written.RowsWritten} rows of AI-generated images with their prompts, for the CAWG purpose `{spec.Purpose}`, licensed {spec.License}.\n");
        card.Append("The Croissant description (with Responsible AI fields) is in `croissant.json`; sizes and SHA-256 of every file are in `manifest.json`.\n\n");

        card.Append("## Dataset structure\n\n");
        card.Append("| column | Parquet type | Croissant type |\n|---|---|---|\n");
        foreach (var column in written.Columns)
        {
            var croissantType = column.SubFields.Count > 0 ? $"{{{string.Join(", ", column.SubFields.Select(f => $"{f.Name}: {f.CroissantDataType}"))}}}"
                : column.CroissantDataType;
            card.Append($"| `{column.Name}` | {column.ParquetType} | {(column.Repeated ? $"list of {croissantType}" : croissantType)} |\n");
        }

        card.Append("\nThe `image` column is the Hugging Face Image feature, `struct<bytes: binary, path: string>`; the features are declared in each shard's `huggingface` key-value metadata.\n\n");

        card.Append("## Splits\n\n");
        card.Append("| split | rows | shards |\n|---|---|---|\n");
        foreach (var (split, rows) in run.Splits)
        {
            card.Append($"| {split} | {rows} | {written.Files.Count(f => f.Split == split)} |\n");
        }

        card.Append($"\nRatios train {spec.Splits.Train}, validation {spec.Splits.Validation}, test {spec.Splits.Test}. A row's split is a salted hash of its row key, so later removals never move a row; near-duplicates share one split.\n\n");

        card.Append("## Curation\n\n");
        card.Append($"Every post on the platform was considered ({written.RowsSeen} seen); a post is left out for the first reason that applies:\n\n");
        if (written.Excluded.Count == 0)
        {
            card.Append("- none were left out\n");
        }

        foreach (var (reason, count) in written.Excluded.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            card.Append($"- `{reason}`: {count}\n");
        }

        card.Append($"\nDuplicates collapsed: {written.DuplicatesCollapsed} (exact SHA-256 and PDQ near-duplicates, {written.Clusters} clusters). ");
        card.Append($"Moderation policy {run.PolicyVersion}; models {ModelVersionsText(run.ModelVersions)}.\n\n");

        card.Append("## Consent and opt-out handling\n\n");
        card.Append($"A row is included only when its author's consent for `{spec.Purpose}` covered it (its `consent_event_id` names the event in the consent ledger, head hash `{run.ConsentLedgerHeadHash ?? "(empty)"}`), ");
        card.Append("the post allows training, no creator opt-out (name, alias, style or work by PDQ) matches it, and no machine-readable signal on the image (IPTC/PLUS data mining, C2PA/CAWG training-mining, TDMRep) reserves it.\n");
        card.Append($"`revocations.parquet` lists {run.RevocationsListed} rows earlier versions published that must now be deleted, with the reason (consent withdrawn, creator opt-out, erasure, moderation, report, deleted). Delete them from every copy you hold.\n\n");

        card.Append("## Personal information\n\n");
        card.Append("Author ids are pseudonymous (HMAC-SHA256 with the dataset's salt). E-mail addresses, phone numbers, URLs and @handles are scrubbed from prompts and captions");
        card.Append(written.Scrubbed.Count == 0 ? ".\n" : $" ({string.Join(", ", written.Scrubbed.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value}"))}).\n");
        card.Append(spec.Filters.IncludeSensitive ? "Posts moderation marked sensitive are included.\n\n" : "Posts moderation marked sensitive are excluded.\n\n");

        card.Append("## Limitations\n\n");
        card.Append("The images are AI-generated and the prompts were written by the platform's users: they reflect the generators, styles and subjects popular there and what its moderation approves. ");
        card.Append("Rows may be revoked by later versions; keep up with `revocations.parquet`.\n");
        return Encoding.UTF8.GetBytes(card.ToString());
    }
}
