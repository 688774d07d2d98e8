using System.Security.Cryptography;
using AiSocial.Moderation.Checks;
using AiSocial.SafetyModels;
using AiSocial.SafetyModels.Nsfw;
using AiSocial.Testing;

namespace AiSocial.Moderation.Tests.Checks;

/// <summary>The NSFW classifier `./aisocial models` prepared, loaded once for the check tests.</summary>
public sealed class PreparedNsfwModel : IDisposable
{
    public PreparedNsfwModel()
    {
        var options = new ModelOptions { Directory = TestModels.Directory };
        Classifier = NsfwClassifier.FromManifest(options);
        OnnxPath = Path.Combine(options.Directory, TestModels.Manifest.Get(ModelNames.Nsfw).File);
    }

    public NsfwClassifier Classifier { get; }

    public string OnnxPath { get; }

    public void Dispose() => Classifier.Dispose();
}

public sealed class NsfwCheckTests(PreparedNsfwModel model) : IClassFixture<PreparedNsfwModel>
{
    private static CheckSubject Subject(byte[] image) => new(Convert.ToHexStringLower(SHA256.HashData(image)), image, []);

    [Fact]
    public async Task The_check_gives_one_signal_per_class_with_the_model_version()
    {
        var check = new NsfwCheck(LoadedModel<NsfwClassifier>.Of(model.Classifier));
        using var subject = Subject(TestImages.Jpeg(500, 320, seed: 9));

        var signals = await check.RunAsync(subject, CancellationToken.None);

        var expected = model.Classifier.Classify(subject.Image);
        Assert.Equal(["drawing", "hentai", "neutral", "porn", "sexy"], signals.Select(s => s.Category));
        Assert.All(signals, s => Assert.Equal(("nsfw", model.Classifier.ModelVersion), (s.Source, s.ModelVersion)));
        Assert.Equal(expected.ToArray().Select(p => (double)p), signals.Select(s => s.Score));
        Assert.Equal(1.0, signals.Sum(s => s.Score), 5);
    }

    [Fact]
    public async Task Without_a_prepared_model_the_check_is_unavailable_until_one_is_prepared()
    {
        var directory = Directory.CreateTempSubdirectory("aisocial-models-").FullName;
        try
        {
            using var provider = new LoadedModel<NsfwClassifier>(() => NsfwClassifier.FromManifest(new ModelOptions { Directory = directory }));
            var runner = new CheckRunner([new NsfwCheck(provider)]);
            using var subject = Subject(TestImages.Png());

            var before = Assert.Single(await runner.RunAsync(subject, CancellationToken.None));
            Assert.False(before.Available);
            Assert.Contains(nameof(ModelUnavailableException), before.UnavailableReason);
            Assert.Empty(before.Signals);

            File.Copy(model.OnnxPath, Path.Combine(directory, "nsfw.onnx"));
            var entry = new ModelEntry(ModelNames.Nsfw, "4.4.0-test", "nsfw.onnx", ModelManifest.Sha256Of(Path.Combine(directory, "nsfw.onnx")),
                new ModelSource("nsfwjs", "4.4.0", "dist/models/mobilenet_v2"), [], [], NsfwScores.Labels);
            new ModelManifest(ModelManifest.CurrentFormat, [entry]).Save(directory);

            var after = Assert.Single(await runner.RunAsync(subject, CancellationToken.None));
            Assert.True(after.Available, after.UnavailableReason);
            Assert.Equal(5, after.Signals.Count);
            Assert.All(after.Signals, s => Assert.Equal("4.4.0-test", s.ModelVersion));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
