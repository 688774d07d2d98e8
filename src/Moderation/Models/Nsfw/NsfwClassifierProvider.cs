using Microsoft.Extensions.Options;

namespace AiSocial.Moderation.Models.Nsfw;

/// <summary>
/// Loads the NSFW classifier from the model manifest on first use and keeps it. A failed load is not remembered:
/// the next use tries again (so preparing the models brings the check back without a restart).
/// </summary>
public sealed class NsfwClassifierProvider : IDisposable
{
    private readonly Func<NsfwClassifier> _load;
    private readonly bool _owns;
    private readonly Lock _lock = new();
    private NsfwClassifier? _classifier;

    public NsfwClassifierProvider(IOptions<ModelOptions> options)
        : this(() => NsfwClassifier.FromManifest(options.Value), owns: true)
    {
    }

    private NsfwClassifierProvider(Func<NsfwClassifier> load, bool owns)
    {
        _load = load;
        _owns = owns;
    }

    /// <summary>A provider of a classifier that already exists (the caller keeps ownership).</summary>
    public static NsfwClassifierProvider Of(NsfwClassifier classifier) => new(() => classifier, owns: false);

    /// <summary>The classifier; throws <see cref="ModelUnavailableException"/> when it cannot be loaded.</summary>
    public NsfwClassifier Get()
    {
        if (Volatile.Read(ref _classifier) is { } classifier)
        {
            return classifier;
        }

        lock (_lock)
        {
            return _classifier ??= _load();
        }
    }

    public void Dispose()
    {
        if (_owns)
        {
            _classifier?.Dispose();
        }
    }
}
