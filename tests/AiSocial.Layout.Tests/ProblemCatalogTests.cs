using System.Reflection;
using System.Text.RegularExpressions;
using AiSocial.Problems;
using AiSocial.Testing;

namespace AiSocial.Layout.Tests;

/// <summary>docs/problems.md is the one table of problem codes: it lists every problem a module defines, as defined.</summary>
public sealed partial class ProblemCatalogTests
{
    [GeneratedRegex(@"^\|\s*`([a-z0-9_-]+)`\s*\|\s*(\d{3})\s*\|\s*(\w+)\s*\|\s*([^|]+?)\s*\|", RegexOptions.Multiline)]
    private static partial Regex Row();

    /// <summary>Every <see cref="Problem"/> the modules define, from their static fields (internal catalogs included).</summary>
    private static IEnumerable<Problem> Defined() =>
        new[] { typeof(CommonProblems), typeof(Ingest.IngestProblems), typeof(Moderation.Extensions), typeof(Export.Extensions) }
            .Select(t => t.Assembly)
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Where(f => f.FieldType == typeof(Problem))
            .Select(f => (Problem)f.GetValue(null)!);

    [Fact]
    public void The_problem_table_lists_every_defined_problem_with_its_status_and_title_and_nothing_else()
    {
        var documented = Row().Matches(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "problems.md")))
            .Select(m => new Problem(m.Groups[1].Value, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[4].Value))
            .ToList();
        var defined = Defined().ToList();

        Assert.Equal(documented.Count, documented.Select(p => p.Code).Distinct().Count());
        Assert.Equal(defined.Count, defined.Select(p => p.Code).Distinct().Count());
        Assert.Equal(defined.OrderBy(p => p.Code), documented.OrderBy(p => p.Code));
    }
}
