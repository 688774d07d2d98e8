using AiSocial.Moderation.Models;
using AiSocial.Moderation.Models.Nsfw;

namespace AiSocial.Moderation.Tests.Models.Nsfw;

/// <summary>
/// nsfwjs's model unpacked from its npm package (model.json + weights.bin) and the ONNX classifier the tests run: the
/// prepared model from the manifest in <c>AISOCIAL_MODELS</c> when it has one, otherwise a fresh conversion.
/// </summary>
public sealed class NsfwModelFixture : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("aisocial-nsfw-").FullName;
    private NsfwClassifier? _classifier;

    public string ModelJson => Path.Combine(_directory, "model.json");

    public string Weights => Path.Combine(_directory, "weights.bin");

    /// <summary>A scratch directory for the tests' own files, deleted with the fixture.</summary>
    public string Scratch => _directory;

    /// <summary>Where the classifier's ONNX file came from: "manifest" or "converted".</summary>
    public string ClassifierSource { get; private set; } = "";

    public NsfwClassifier Classifier => _classifier ?? throw new InvalidOperationException("The fixture is not initialised.");

    public async Task InitializeAsync()
    {
        await NsfwjsReference.UnpackAsync(_directory);
        var options = new ModelOptions();
        if (ModelManifest.TryLoad(options.Directory)?.Models.Any(m => m.Name == ModelNames.Nsfw) == true)
        {
            _classifier = NsfwClassifier.FromManifest(options);
            ClassifierSource = $"manifest in {options.Directory}";
        }
        else
        {
            var onnx = Path.Combine(_directory, "nsfw.onnx");
            NsfwClassifier.ConvertFromNsfwjs(ModelJson, Weights, onnx);
            _classifier = new NsfwClassifier(onnx, "test");
            ClassifierSource = "converted by the fixture";
        }
    }

    public Task DisposeAsync()
    {
        _classifier?.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class NsfwModelCollection : ICollectionFixture<NsfwModelFixture>
{
    public const string Name = "nsfw model";
}
