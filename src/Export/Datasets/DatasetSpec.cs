using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using AiSocial.Ingest.Consent;
using AiSocial.Problems;

namespace AiSocial.Export.Datasets;

/// <summary>Which posts a dataset takes: by tag (any of them; none = all), creation time, sensitivity and label confidence.</summary>
public sealed record DatasetFilters
{
    public IReadOnlyList<string> Tags { get; init; } = [];

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public bool IncludeSensitive { get; init; }

    public double MinLabelConfidence { get; init; }
}

/// <summary>
/// The share of rows in each split; they sum to 1 and a row's split never moves (a salted hash of its row key). A split
/// left out of a given object has no rows (<c>{"train": 0.9, "test": 0.1}</c> has no validation split); a spec without
/// <c>splits</c> gets <see cref="Default"/>.
/// </summary>
public sealed record DatasetSplits
{
    public static readonly DatasetSplits Default = new() { Train = 0.8, Validation = 0.1, Test = 0.1 };

    public double Train { get; init; }

    public double Validation { get; init; }

    public double Test { get; init; }
}

/// <summary>
/// What a dataset is (the JSON ML engineers write, camelCase): its CAWG <see cref="Purpose"/> is the consent its authors must
/// have given; <see cref="Salt"/> keys the row keys, pseudonymous author ids and splits, so it never changes; a null
/// <see cref="Columns"/> means every column the writer has; <see cref="Schedule"/> is a Quartz cron expression.
/// </summary>
public sealed partial record DatasetSpec
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    public string Purpose { get; init; } = ConsentPurposes.AiTraining;

    public string License { get; init; } = "CC-BY-4.0";

    public DatasetFilters Filters { get; init; } = new();

    public IReadOnlyList<string>? Columns { get; init; }

    public DatasetSplits Splits { get; init; } = DatasetSplits.Default;

    public string? Salt { get; init; }

    public int ShardSizeMb { get; init; } = 500;

    /// <summary>
    /// Row groups of at most this many MB uncompressed (1–100). 32 by default: Parquet.Net holds an image column chunk
    /// several times over while compressing it, so a writer's peak memory is about ten times its row group, and 32 MB lets
    /// two writers run within 1 GiB (<see cref="Writing.DatasetWriter.RangesAtOnce"/>); measured faster than 100 MB too.
    /// </summary>
    public int RowGroupMb { get; init; } = DefaultRowGroupMb;

    public const int DefaultRowGroupMb = 32;

    public string? Schedule { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(), // what the serializer would use anyway; named so RequiredFields can ask it
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The JSON names of the <c>required</c> properties, as the serializer sees them.</summary>
    private static readonly string[] RequiredFields =
        [.. Json.GetTypeInfo(typeof(DatasetSpec)).Properties.Where(p => p.IsRequired).Select(p => p.Name)];

    /// <summary>
    /// The spec as anyone outside the database sees it (manifests, the API, the console, the CLI): without the salt,
    /// which with an author's id would let anyone recompute the author_id of their rows.
    /// </summary>
    public DatasetSpec WithoutSalt() => this with { Salt = null };

    /// <summary>A spec read from JSON, or a refusal whose error is keyed by the JSON path that could not be read (<c>filters.from</c>).</summary>
    public static Outcome<DatasetSpec> Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Refusal.Invalid("", $"The spec is a JSON {root.ValueKind.ToString().ToLowerInvariant()}; write an object.");
            }

            // Named as every other field is, not by the serializer's message (which names a .NET type).
            var missing = new ValidationErrors();
            foreach (var field in RequiredFields)
            {
                if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    missing.Add(field, $"{field} is required.");
                }
            }

            if (missing.ToRefusal() is { } refusal)
            {
                return refusal;
            }

            var spec = root.Deserialize<DatasetSpec>(Json)!;
            // Row groups default to 32 MB, or to the shard size when shards are smaller: a spec that only asks for
            // small shards is not refused for a default it never wrote.
            return root.TryGetProperty("rowGroupMb", out _) || spec.ShardSizeMb < 1
                ? spec
                : spec with { RowGroupMb = Math.Min(spec.RowGroupMb, spec.ShardSizeMb) };
        }
        catch (JsonException exception)
        {
            var path = JsonPath(exception.Path);
            var message = exception.Message.Split(" Path:", 2)[0];
            return Refusal.Invalid(path, $"{(path == "" ? "The spec" : path)}: {message}");
        }
    }

    /// <summary><c>$.filters.from</c> as <c>filters.from</c>, <c>$.columns[2]</c> as <c>columns[2]</c>.</summary>
    private static string JsonPath(string? path) => path is null or "$" ? "" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    internal static partial Regex NamePattern();

    // An SPDX licence id (Apache-2.0, CC-BY-4.0, CC0-1.0, …) or a LicenseRef- of one's own.
    [GeneratedRegex("^(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.+-]{0,63})$")]
    private static partial Regex LicensePattern();

    // Quartz cron: seconds minutes hours day-of-month month day-of-week [year]; Quartz itself checks it fully when scheduling.
    [GeneratedRegex(@"^\S+(\s+\S+){5,6}$")]
    private static partial Regex CronShape();

    [GeneratedRegex(@"^[0-9A-Za-z*?,/#\-\s]+$")]
    private static partial Regex CronCharacters();

    /// <summary>Every problem with the spec, keyed by JSON path; <paramref name="columns"/> are the writer's column names.</summary>
    public ValidationErrors Validate(IReadOnlyCollection<string> columns)
    {
        var errors = new ValidationErrors();
        if (Name is null || !NamePattern().IsMatch(Name))
        {
            errors.Add("name", "name: 1–63 lowercase letters, digits, '-' or '_', starting with a letter or digit.");
        }

        if (string.IsNullOrWhiteSpace(Description))
        {
            errors.Add("description", "description: say what the dataset is for.");
        }
        else if (TextRules.Problem(Description, multiLine: true) is { } problem)
        {
            errors.Add("description", $"description {problem}.");
        }

        if (Purpose is null || !ConsentPurposes.All.Contains(Purpose))
        {
            errors.Add("purpose", $"purpose: one of {string.Join(", ", ConsentPurposes.All)}.");
        }

        if (License is null || !LicensePattern().IsMatch(License))
        {
            errors.Add("license", "license: an SPDX licence id such as CC-BY-4.0, or LicenseRef-<name>.");
        }

        if (Filters is null)
        {
            errors.Add("filters", "filters: an object; leave it out for no filters.");
        }
        else
        {
            ValidateFilters(errors);
        }

        if (Columns is not null)
        {
            if (Columns.Count == 0)
            {
                errors.Add("columns", "columns: name at least one column, or leave it out for all of them.");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < Columns.Count; i++)
            {
                if (!columns.Contains(Columns[i]))
                {
                    errors.Add($"columns[{i}]", $"columns[{i}]: '{Columns[i]}' is not a column; choose from {string.Join(", ", columns)}.");
                }
                else if (!seen.Add(Columns[i]))
                {
                    errors.Add($"columns[{i}]", $"columns[{i}]: '{Columns[i]}' is named twice.");
                }
            }
        }

        if (Splits is null)
        {
            errors.Add("splits", "splits: an object with train, validation and test; leave it out for 0.8/0.1/0.1.");
        }
        else
        {
            ValidateSplits(errors);
        }

        if (Salt is not null && Salt.Length < 16)
        {
            errors.Add("salt", "salt: at least 16 characters (leave it out at create and one is generated).");
        }

        if (ShardSizeMb is < 1 or > 500)
        {
            errors.Add("shardSizeMb", "shardSizeMb: 1 to 500.");
        }

        if (RowGroupMb is < 1 or > 100)
        {
            errors.Add("rowGroupMb", "rowGroupMb: 1 to 100.");
        }
        else if (RowGroupMb > ShardSizeMb)
        {
            errors.Add("rowGroupMb", "rowGroupMb: no larger than shardSizeMb.");
        }

        if (Schedule is not null && !(CronShape().IsMatch(Schedule.Trim()) && CronCharacters().IsMatch(Schedule)))
        {
            errors.Add("schedule", "schedule: a Quartz cron expression (seconds minutes hours day-of-month month day-of-week [year], e.g. \"0 0 3 * * ?\"), or null.");
        }

        return errors;
    }

    private void ValidateFilters(ValidationErrors errors)
    {
        var tags = Filters.Tags ?? [];
        if (Filters.Tags is null)
        {
            errors.Add("filters.tags", "filters.tags: a list; [] for any tag.");
        }

        for (var i = 0; i < tags.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(tags[i]) || TextRules.Problem(tags[i], multiLine: false) is not null)
            {
                errors.Add($"filters.tags[{i}]", $"filters.tags[{i}]: a tag is a non-empty single line.");
            }
        }

        if (Filters.From is { } from && Filters.To is { } to && from >= to)
        {
            errors.Add("filters.from", "filters.from: must be before filters.to.");
        }

        if (Filters.MinLabelConfidence is < 0 or > 1 || double.IsNaN(Filters.MinLabelConfidence))
        {
            errors.Add("filters.minLabelConfidence", "filters.minLabelConfidence: 0 to 1.");
        }
    }

    private void ValidateSplits(ValidationErrors errors)
    {
        var ratios = new[] { ("train", Splits.Train), ("validation", Splits.Validation), ("test", Splits.Test) };
        var inRange = true;
        foreach (var (name, ratio) in ratios)
        {
            if (ratio is < 0 or > 1 || double.IsNaN(ratio))
            {
                errors.Add($"splits.{name}", $"splits.{name}: 0 to 1.");
                inRange = false;
            }
        }

        if (Splits.Train <= 0)
        {
            errors.Add("splits.train", "splits.train: more than 0; a dataset needs training rows.");
        }

        if (inRange && Math.Abs(ratios.Sum(r => r.Item2) - 1) > 1e-9)
        {
            errors.Add("splits", $"splits: train, validation and test sum to {ratios.Sum(r => r.Item2):0.###}, not 1.");
        }
    }

    /// <summary>32 random hex digits, for a spec created without a salt.</summary>
    internal static string NewSalt() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
