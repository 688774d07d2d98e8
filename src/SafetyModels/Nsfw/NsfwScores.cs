namespace AiSocial.SafetyModels.Nsfw;

/// <summary>The five nsfwjs probabilities for one image (they sum to 1).</summary>
public sealed record NsfwScores(float Drawing, float Hentai, float Neutral, float Porn, float Sexy)
{
    /// <summary>The classes in the model's output order (nsfwjs's <c>NSFW_CLASSES</c>).</summary>
    public static readonly IReadOnlyList<string> Labels = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];

    /// <summary>The probability of the class at <paramref name="index"/> in <see cref="Labels"/> order.</summary>
    public float this[int index] => index switch
    {
        0 => Drawing,
        1 => Hentai,
        2 => Neutral,
        3 => Porn,
        4 => Sexy,
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, "There are five classes."),
    };

    public float[] ToArray() => [Drawing, Hentai, Neutral, Porn, Sexy];

    internal static NsfwScores From(ReadOnlySpan<float> probabilities) =>
        new(probabilities[0], probabilities[1], probabilities[2], probabilities[3], probabilities[4]);
}
