using AiSocial.SafetyModels.Nsfw;

namespace AiSocial.SafetyModels.Tests.Nsfw;

/// <summary>
/// nsfwjs's model unpacked from its npm package (model.json + weights.bin) and the ONNX classifier the tests run: the
/// prepared model from the manifest in <c>AISOCIAL_MODELS</c> when it has one, otherwise a fresh conversion.
/// </summary>
public sealed class NsfwModelFixture : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("aisocial-nsfw-").FullName;
    private readonly Lazy<Task<NsfwjsParity>> _parity;
    private NsfwClassifier? _classifier;

    public NsfwModelFixture() => _parity = new(() => NsfwjsParity.RunAsync(Classifier, Scratch));

    public string ModelJson => Path.Combine(_directory, "model.json");

    public string Weights => Path.Combine(_directory, "weights.bin");

    /// <summary>A scratch directory for the tests' own files, deleted with the fixture.</summary>
    public string Scratch => _directory;

    public string OnnxPath { get; private set; } = "";

    /// <summary>Where the classifier's ONNX file came from: "manifest" or "converted".</summary>
    public string ClassifierSource { get; private set; } = "";

    public NsfwClassifier Classifier => _classifier ?? throw new InvalidOperationException("The fixture is not initialised.");

    /// <summary>nsfwjs against the classifier on the parity images; worked out on first use (it takes Node some seconds).</summary>
    public Task<NsfwjsParity> Parity => _parity.Value;

    public async Task InitializeAsync()
    {
        await NsfwjsReference.UnpackAsync(_directory);
        var options = new ModelOptions { Directory = Environment.GetEnvironmentVariable("AISOCIAL_MODELS") ?? "" };
        if (ModelManifest.TryLoad(options.Directory)?.Models.FirstOrDefault(m => m.Name == ModelNames.Nsfw) is { } entry)
        {
            _classifier = NsfwClassifier.FromManifest(options);
            OnnxPath = Path.Combine(options.Directory, entry.File);
            ClassifierSource = $"manifest in {options.Directory}";
        }
        else
        {
            OnnxPath = Path.Combine(_directory, "nsfw.onnx");
            NsfwClassifier.ConvertFromNsfwjs(ModelJson, Weights, OnnxPath);
            _classifier = new NsfwClassifier(OnnxPath, "test");
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
