using AiSocial.SafetyModels;
using AiSocial.SafetyModels.Nsfw;

namespace AiSocial.Moderation.Checks;

/// <summary>nsfwjs's five probabilities as signals: category drawing, hentai, neutral, porn or sexy.</summary>
internal sealed class NsfwCheck(LoadedModel<NsfwClassifier> classifier) : IPostCheck
{
    public const string SourceName = "nsfw";

    /// <summary>Signal categories, in <see cref="NsfwScores.Labels"/> order.</summary>
    public static readonly IReadOnlyList<string> Categories = [.. NsfwScores.Labels.Select(l => l.ToLowerInvariant())];

    public string Source => SourceName;

    public string SettingsKey => "Nsfw";

    public CheckReads Reads => CheckReads.Image;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(30);

    public Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var model = classifier.Get();
        var scores = model.Classify(subject.Image);
        IReadOnlyList<Signal> signals = [.. Categories.Select((category, i) => new Signal(Source, model.ModelVersion, category, scores[i]))];
        return Task.FromResult(signals);
    }
}
