using System.Xml.Linq;
using AiSocial.Testing;

namespace AiSocial.Ingest.Tests;

/// <summary>The solution's shape from DESIGN.md: module references point one way, and package versions live in one place.</summary>
public sealed class LayoutTests
{
    private static readonly Dictionary<string, string[]> AllowedReferences = new()
    {
        ["Ingest"] = [],
        ["Moderation"] = ["Ingest"],
        ["Export"] = ["Ingest", "Moderation"],
        ["ServiceDefaults"] = ["Ingest"],
        ["Feed"] = ["Ingest", "Moderation", "ServiceDefaults"],
        ["AdminConsole"] = ["Ingest", "Moderation", "Export", "ServiceDefaults"],
        ["Cli"] = ["Ingest", "Moderation", "Export"],
    };

    private static IEnumerable<string> ProjectFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, folder), "*.csproj", SearchOption.AllDirectories);

    [Fact]
    public void Module_references_point_one_way_as_the_design_says()
    {
        var found = ProjectFiles("src").ToDictionary(
            path => Path.GetFileName(Path.GetDirectoryName(path))!,
            path => XDocument.Load(path).Descendants("ProjectReference")
                .Select(r => Path.GetFileName(Path.GetDirectoryName(r.Attribute("Include")!.Value.Replace('\\', '/')))!)
                .Order().ToArray());

        Assert.Equal(AllowedReferences.Keys.Order(), found.Keys.Order());
        foreach (var (project, references) in found)
        {
            Assert.True(references.All(AllowedReferences[project].Contains),
                $"{project} references {string.Join(", ", references)}; allowed: {string.Join(", ", AllowedReferences[project])}");
        }
    }

    [Fact]
    public void Package_versions_are_set_centrally_and_nowhere_else()
    {
        foreach (var path in ProjectFiles("src").Concat(ProjectFiles("tests")))
        {
            var versioned = XDocument.Load(path).Descendants("PackageReference").Where(r => r.Attribute("Version") is not null).ToList();
            Assert.True(versioned.Count == 0, $"{path} sets a package version; use Directory.Packages.props");
        }

        var central = XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Packages.props"));
        Assert.Equal("true", central.Descendants("ManagePackageVersionsCentrally").Single().Value);
    }

    [Fact]
    public void Every_project_builds_with_nullable_checks_and_warnings_as_errors()
    {
        var props = XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Build.props"));
        Assert.Equal("net10.0", props.Descendants("TargetFramework").Single().Value);
        Assert.Equal("enable", props.Descendants("Nullable").Single().Value);
        Assert.Equal("true", props.Descendants("TreatWarningsAsErrors").Single().Value);
        foreach (var path in ProjectFiles("src").Concat(ProjectFiles("tests")))
        {
            var overrides = XDocument.Load(path).Descendants().Where(e => e.Name.LocalName is "TreatWarningsAsErrors" or "Nullable" or "TargetFramework");
            Assert.True(!overrides.Any(), $"{path} overrides a setting Directory.Build.props owns");
        }
    }
}
