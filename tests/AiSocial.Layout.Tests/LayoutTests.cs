using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using AiSocial.Testing;

namespace AiSocial.Layout.Tests;

/// <summary>
/// The solution's shape from DESIGN.md and STYLE.md: module references point one way and each is used, no file reaches
/// into a module its project may not know, libraries stay free of the web framework, a module's public types are the
/// ones other projects use, and package versions live in one place.
/// </summary>
public sealed partial class LayoutTests
{
    /// <summary>What each project under src/ may reference; a reference nothing uses is an error too.</summary>
    private static readonly Dictionary<string, string[]> AllowedReferences = new()
    {
        ["Problems"] = [],
        ["SafetyModels"] = [],
        ["Ingest"] = ["Problems", "SafetyModels"],
        ["Moderation"] = ["Problems", "Ingest", "SafetyModels"],
        ["Export"] = ["Problems", "Ingest", "Moderation"],
        ["ServiceDefaults"] = ["Problems"],
        ["Authentication"] = ["Problems", "Ingest", "ServiceDefaults"],
        ["Feed"] = ["Problems", "Ingest", "Moderation", "ServiceDefaults", "Authentication"],
        ["AdminConsole"] = ["Problems", "Ingest", "SafetyModels", "Moderation", "Export", "ServiceDefaults", "Authentication"],
        ["Cli"] = ["Problems", "Ingest", "SafetyModels", "Moderation", "Export", "ServiceDefaults"],
    };

    /// <summary>The libraries: no web framework, and the leaves no database or scheduler either.</summary>
    private static readonly string[] Libraries = ["Problems", "SafetyModels", "Ingest", "Moderation", "Export"];

    private static readonly Dictionary<string, string[]> ForbiddenNamespaces = new()
    {
        ["Problems"] = ["Microsoft.AspNetCore", "Npgsql", "Quartz"],
        ["SafetyModels"] = ["Microsoft.AspNetCore", "Npgsql", "Quartz"],
        // Microsoft.AspNetCore.Identity here is the Microsoft.Extensions.Identity.Core package (its password hasher), not the web framework.
        ["Ingest"] = ["Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Mvc", "Microsoft.AspNetCore.Authentication", "Microsoft.AspNetCore.Builder", "Quartz"],
        ["Moderation"] = ["Microsoft.AspNetCore"],
        ["Export"] = ["Microsoft.AspNetCore", "Quartz"],
    };

    /// <summary>Projects whose public types are for other projects: everything but the hosts and the command line.</summary>
    private static readonly string[] Modules = ["Problems", "SafetyModels", "Ingest", "Moderation", "Export", "ServiceDefaults", "Authentication"];

    private static string Src => Path.Combine(RepositoryRoot.Path, "src");

    private static IEnumerable<string> ProjectFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, folder), "*.csproj", SearchOption.AllDirectories);

    private static string ProjectName(string csproj) => Path.GetFileName(Path.GetDirectoryName(csproj))!;

    private static IEnumerable<string> SourceFiles(string project) => SourceFilesIn(Path.Combine(Src, project));

    private static IEnumerable<string> SourceFilesIn(string directory) =>
        Directory.EnumerateFiles(directory, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string[] ProjectReferences(string csproj) =>
        [.. XDocument.Load(csproj).Descendants("ProjectReference")
            .Select(r => Path.GetFileName(Path.GetDirectoryName(r.Attribute("Include")!.Value.Replace('\\', '/')))!)
            .Order()];

    [GeneratedRegex(@"^\s*@?using\s+(?:static\s+)?(?:\w+\s*=\s*)?([\w.]+)\s*;?\s*$", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    // A namespace written out in code, such as AiSocial.Ingest.Audit.Actor: the module is the second part.
    [GeneratedRegex(@"\bAiSocial\.(\w+)\.")]
    private static partial Regex QualifiedName();

    [Fact]
    public void Module_references_point_one_way_as_the_design_says_and_each_is_used()
    {
        var found = ProjectFiles("src").ToDictionary(ProjectName, ProjectReferences);

        Assert.Equal(AllowedReferences.Keys.Order(), found.Keys.Order());
        foreach (var (project, references) in found)
        {
            var disallowed = references.Except(AllowedReferences[project]).ToList();
            Assert.True(disallowed.Count == 0, $"{project} references {string.Join(", ", disallowed)}; allowed: {string.Join(", ", AllowedReferences[project])}");

            var text = string.Concat(SourceFiles(project).Select(File.ReadAllText));
            var unused = references.Where(module => !text.Contains($"AiSocial.{module}", StringComparison.Ordinal)).ToList();
            Assert.True(unused.Count == 0, $"{project} references {string.Join(", ", unused)} but no file of it uses that module");
        }
    }

    [GeneratedRegex(@"^\s*(?:[a-z]+\s+)?([A-Za-z]+)\s+→\s+(.*)$", RegexOptions.Multiline)]
    private static partial Regex ReadmeArrow();

    [Fact]
    public void The_README_pictures_the_references_as_they_are()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md"));
        var modules = readme[readme.IndexOf("## Modules", StringComparison.Ordinal)..];
        var picture = modules[..modules.IndexOf("```", modules.IndexOf("```", StringComparison.Ordinal) + 3, StringComparison.Ordinal)];
        var pictured = ReadmeArrow().Matches(picture).ToDictionary(
            m => m.Groups[1].Value,
            m => Regex.Replace(m.Groups[2].Value, @"\([^)]*\)|nothing.*", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Order().ToArray());

        Assert.Equal(AllowedReferences.Keys.Order(), pictured.Keys.Order());
        foreach (var (project, allowed) in AllowedReferences)
        {
            // Problems is the leaf every project may use; the picture says so once instead of on every line.
            Assert.Equal(allowed.Where(p => p != "Problems").Order(), pictured[project]);
        }
    }

    [Fact]
    public void No_file_reaches_into_a_module_its_project_may_not_use()
    {
        var problems = new List<string>();
        foreach (var (project, allowed) in AllowedReferences)
        {
            foreach (var file in SourceFiles(project))
            {
                var text = File.ReadAllText(file);
                var named = UsingDirective().Matches(text).Select(m => m.Groups[1].Value)
                    .Where(ns => ns.StartsWith("AiSocial.", StringComparison.Ordinal))
                    .Select(ns => ns.Split('.')[1])
                    .Concat(QualifiedName().Matches(text).Select(m => m.Groups[1].Value));
                problems.AddRange(named.Distinct()
                    .Where(module => module != project && AllowedReferences.ContainsKey(module) && !allowed.Contains(module))
                    .Select(module => $"{Path.GetRelativePath(Src, file)} uses AiSocial.{module}, which {project} may not use"));

                var usings = UsingDirective().Matches(text).Select(m => m.Groups[1].Value).ToList();
                problems.AddRange(ForbiddenNamespaces.GetValueOrDefault(project, [])
                    .SelectMany(forbidden => usings.Where(ns => ns == forbidden || ns.StartsWith(forbidden + ".", StringComparison.Ordinal)))
                    .Select(ns => $"{Path.GetRelativePath(Src, file)} uses {ns}, which {project} must not depend on"));
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_libraries_do_not_reference_the_web_framework_and_the_safety_models_no_database_or_scheduler()
    {
        foreach (var library in Libraries)
        {
            var project = XDocument.Load(Path.Combine(Src, library, $"AiSocial.{library}.csproj"));
            Assert.True(project.Root!.Attribute("Sdk")!.Value == "Microsoft.NET.Sdk", $"{library} is not a plain class library");
            Assert.DoesNotContain(project.Descendants("FrameworkReference"), r => r.Attribute("Include")!.Value == "Microsoft.AspNetCore.App");
        }

        var packages = XDocument.Load(Path.Combine(Src, "SafetyModels", "AiSocial.SafetyModels.csproj")).Descendants("PackageReference")
            .Select(r => r.Attribute("Include")!.Value).ToList();
        Assert.DoesNotContain(packages, p => p.StartsWith("Npgsql", StringComparison.Ordinal) || p.StartsWith("Quartz", StringComparison.Ordinal));
    }

    [Fact]
    public void A_modules_public_types_are_the_ones_other_projects_use()
    {
        var consumers = AllowedReferences.Keys
            .Select(project => (Project: project, Assembly: BuiltAssembly("src", project, project == "Cli" ? "aisocial-cli" : $"AiSocial.{project}")))
            .Append((Project: "Benchmarks", Assembly: BuiltAssembly("bench", "AiSocial.Benchmarks", "AiSocial.Benchmarks")))
            .ToList();
        var unused = new List<string>();
        foreach (var module in Modules)
        {
            var others = consumers.Where(c => c.Project != module).ToList();
            var referenced = others.SelectMany(c => TypeReferences(c.Assembly)).ToHashSet(StringComparer.Ordinal);
            var otherSources = string.Concat(others
                .SelectMany(c => c.Project == "Benchmarks" ? SourceFilesIn(Path.Combine(RepositoryRoot.Path, "bench")) : SourceFiles(c.Project))
                .Select(File.ReadAllText));
            var surface = PublicSurface.Read(BuiltAssembly("src", module, $"AiSocial.{module}"));
            // A constant is copied into the code that reads it, so a type of constants shows its use in the source only.
            var usedOutside = surface.Types.Where(type => referenced.Contains(type.FullName)
                || (type.HasPublicConstants && Regex.IsMatch(otherSources, $@"\b{Regex.Escape(type.Name)}\b")));
            // What a used type shows in its own public signatures (base type, interfaces, members) must be public too.
            var needed = surface.Closure(usedOutside.Select(t => t.FullName));
            unused.AddRange(surface.Types.Where(t => !needed.Contains(t.FullName)).Select(t => $"{module}: {t.FullName}"));
        }

        Assert.True(unused.Count == 0, "Public, but used by no other project (make them internal):\n" + string.Join("\n", unused));
    }

    [GeneratedRegex(@"\.GetSection\(|Configuration\.Get<|\.Get<\w*Options>\(")]
    private static partial Regex ConfigurationRead();

    [GeneratedRegex(@"BindConfiguration\([^)]*\)(?<rest>[^;]*);")]
    private static partial Regex Binding();

    [Fact]
    public void Settings_are_options_bound_validated_and_checked_at_start_never_read_in_wiring()
    {
        var problems = new List<string>();
        foreach (var file in AllowedReferences.Keys.SelectMany(SourceFiles))
        {
            var text = File.ReadAllText(file);
            problems.AddRange(ConfigurationRead().Matches(text).Select(m => $"{Path.GetRelativePath(Src, file)} reads configuration directly ({m.Value})"));
            problems.AddRange(Binding().Matches(text)
                .Where(m => !m.Groups["rest"].Value.Contains(".ValidateDataAnnotations()", StringComparison.Ordinal)
                            || !m.Groups["rest"].Value.Contains(".ValidateOnStart()", StringComparison.Ordinal))
                .Select(m => $"{Path.GetRelativePath(Src, file)} binds options without validating them at start: {m.Value}"));
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Package_versions_are_set_centrally_and_nowhere_else()
    {
        foreach (var path in ProjectFiles("src").Concat(ProjectFiles("tests")).Concat(ProjectFiles("bench")))
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
        foreach (var path in ProjectFiles("src").Concat(ProjectFiles("tests")).Concat(ProjectFiles("bench")))
        {
            var overrides = XDocument.Load(path).Descendants().Where(e => e.Name.LocalName is "TreatWarningsAsErrors" or "Nullable" or "TargetFramework");
            Assert.True(!overrides.Any(), $"{path} overrides a setting Directory.Build.props owns");
        }
    }

    /// <summary>A project's assembly as this build made it (same configuration and framework as these tests).</summary>
    private static string BuiltAssembly(string folder, string project, string assembly)
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Path.Combine(RepositoryRoot.Path, folder, project, "bin", framework.Parent!.Name, framework.Name, $"{assembly}.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first.", path);
    }

    private static IEnumerable<string> TypeReferences(string assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        var metadata = pe.GetMetadataReader();
        return [.. metadata.TypeReferences.Select(metadata.GetTypeReference)
            .Where(r => r.ResolutionScope.Kind == HandleKind.AssemblyReference)
            .Select(r => $"{metadata.GetString(r.Namespace)}.{metadata.GetString(r.Name)}")];
    }
}
