using AiSocial.Problems;

namespace AiSocial.Moderation;

/// <summary>The problems of moderation: review decisions, hash banks, the in-house classifier's versions and prompt checks.</summary>
internal static class ModerationProblems
{
    public static readonly Problem AlreadyDecided = new("already-decided", 409, "This item was already decided.");
    public static readonly Problem PromptCheckUnavailable = new("prompt-check-unavailable", 503, "A prompt check could not run; nothing was generated.");
    public static readonly Problem TrainingRefused = new("training-refused", 422, "There are not enough labelled posts to train on.");
}
