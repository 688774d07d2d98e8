using AiSocial.Moderation.Checks;

namespace AiSocial.Moderation.Models.Nsfw;

/// <summary>nsfwjs's five probabilities as signals: category drawing, hentai, neutral, porn or sexy.</summary>
public sealed class NsfwCheck(NsfwClassifierProvider classifiers) : IPostCheck
{
    public const string SourceName = "nsfw";

    /// <summary>Signal categories, in <see cref="NsfwScores.Labels"/> order.</summary>
    public static readonly IReadOnlyList<string> Categories = [.. NsfwScores.Labels.Select(l => l.ToLowerInvariant())];

    public string Source => SourceName;

    public CheckReads Reads => CheckReads.Image;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(30);

    public Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var classifier = classifiers.Get();
        var scores = classifier.Classify(subject.Image);
        IReadOnlyList<Signal> signals = [.. Categories.Select((category, i) => new Signal(Source, classifier.ModelVersion, category, scores[i]))];
        return Task.FromResult(signals);
    }
}
