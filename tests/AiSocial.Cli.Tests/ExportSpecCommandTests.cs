using System.Text.Json;
using AiSocial.Testing;

namespace AiSocial.Cli.Tests;

public sealed class ExportSpecCommandTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private readonly string _work = Directory.CreateTempSubdirectory("aisocial-spec-").FullName;

    private async Task<string> FileAsync(string json)
    {
        var path = Path.Combine(_work, $"{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, json);
        return path;
    }

    [Fact]
    public async Task Validate_names_each_problem_by_its_JSON_path_and_fails()
    {
        var file = await FileAsync("""{"name": "nice", "description": "d", "splits": {"train": 0.5, "validation": 0.1, "test": 0.1}, "shardSizeMb": 0}""");
        var unreadable = await FileAsync("""{"name": "nice", "description": "d", "filters": {"from": "soon"}}""");

        var invalid = await CommandLine.RunAsync(null, "export", "spec", "validate", "--file", file);
        var broken = await CommandLine.RunAsync(null, "export", "spec", "validate", "--file", unreadable);
        var valid = await CommandLine.RunAsync(null, "export", "spec", "validate", "--file", await FileAsync("""{"name": "nice", "description": "d"}"""));

        Assert.Equal(2, invalid.ExitCode);
        Assert.Contains("  shardSizeMb: shardSizeMb: 1 to 500.", invalid.Error);
        Assert.Contains("  splits: splits: train, validation and test sum to 0.7, not 1.", invalid.Error);
        Assert.Equal(2, broken.ExitCode);
        Assert.Contains("  filters.from: ", broken.Error);
        Assert.True(valid.ExitCode == 0, valid.Error);
        Assert.Contains("valid spec for dataset 'nice'", valid.Output);
    }

    [Fact]
    public async Task Create_edit_and_show_keep_versions_and_a_run_publishes_under_the_export_root()
    {
        var name = $"cli-{Guid.NewGuid():N}"[..16];
        var spec = await FileAsync($$"""{"name": "{{name}}", "description": "Made from the command line.", "license": "CC0-1.0"}""");

        var created = await CommandLine.RunAsync(platform, "export", "spec", "create", "--file", spec);
        Assert.True(created.ExitCode == 0, created.Error);
        Assert.Contains($"Created dataset '{name}', spec version 1.", created.Output);

        var shown = await CommandLine.RunAsync(platform, "export", "spec", "show", name);
        var json = JsonDocument.Parse(shown.Output).RootElement;
        // The generated salt stays in the database: shown, it would let anyone recompute author_id from an author's id.
        Assert.Equal(("CC0-1.0", JsonValueKind.Null), (json.GetProperty("license").GetString(), json.GetProperty("salt").ValueKind));
        Assert.Matches("^[0-9a-f]{32}$", await platform.ScalarAsync<string>("select spec ->> 'salt' from export.datasets where name = $1", name));

        var edited = await CommandLine.RunAsync(platform, "export", "spec", "edit", "--file",
            await FileAsync(shown.Output.Replace("Made from the command line.", "Edited.", StringComparison.Ordinal)));
        Assert.True(edited.ExitCode == 0, edited.Error);
        Assert.Contains("spec version 2", edited.Output);
        var history = await CommandLine.RunAsync(platform, "export", "spec", "show", name, "--history");
        Assert.Contains("# version 2", history.Output);
        Assert.Contains("# version 1", history.Output);

        var taken = await CommandLine.RunAsync(platform, "export", "spec", "create", "--file", spec);
        Assert.Equal(2, taken.ExitCode);
        Assert.Contains("already a dataset", taken.Error);

        var run = await CommandLine.RunAsync(platform, "export", "run", "--dataset", name);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains($"Published dataset '{name}' 1.0.0 (full, run ", run.Output);
        Assert.Contains(Path.Combine(platform.ExportRoot, name), run.Output);
        var listed = await CommandLine.RunAsync(platform, "export", "list");
        Assert.Contains($"{name}  spec v2  (cawg.ai_training, CC0-1.0, schedule none)  Edited.", listed.Output);
        Assert.Contains("succeeded", listed.Output);
    }
}
