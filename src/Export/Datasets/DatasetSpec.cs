namespace AiSocial.Export.Datasets;

/// <summary>
/// A dataset's definition as saved (JSON, camelCase): what goes in (<see cref="Filters"/>, <see cref="Columns"/>), how it is
/// split and sharded, and the <see cref="Salt"/> that makes its row keys, splits and author pseudonyms its own.
/// </summary>
internal sealed record DatasetSpec
{
    public required string Name { get; init; }

    public string Description { get; init; } = "";

    public required string Purpose { get; init; }

    public string License { get; init; } = "CC-BY-4.0";

    public DatasetFilters Filters { get; init; } = new();

    /// <summary>A subset of the writer's column names; null means every column.</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    public DatasetSplits Splits { get; init; } = new();

    public required string Salt { get; init; }

    public int ShardSizeMb { get; init; } = 500;

    public int RowGroupMb { get; init; } = 100;

    public string? Schedule { get; init; }
}

/// <summary>Which eligible posts a dataset takes: any of <see cref="Tags"/> (none = all), created in [<see cref="From"/>, <see cref="To"/>).</summary>
internal sealed record DatasetFilters
{
    public IReadOnlyList<string> Tags { get; init; } = [];

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public bool IncludeSensitive { get; init; }

    public double MinLabelConfidence { get; init; }
}

/// <summary>Split ratios, summing to 1.</summary>
internal sealed record DatasetSplits
{
    public double Train { get; init; } = 0.8;

    public double Validation { get; init; } = 0.1;

    public double Test { get; init; } = 0.1;
}
