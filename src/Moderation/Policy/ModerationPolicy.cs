using AiSocial.Moderation.Checks;

namespace AiSocial.Moderation.Policy;

public enum PolicyAction
{
    /// <summary>Refused outright; the author sees it as rejected.</summary>
    Reject,

    /// <summary>Held for a person to decide, at a priority.</summary>
    Review,
}

public sealed record PolicyDecision(PolicyAction Action, string Reason, int Priority, string PolicyVersion);

/// <summary>
/// The baseline policy: media in a hash bank (exact or PDQ) is rejected; everything else waits for a reviewer,
/// because no classifier is trusted to publish on its own yet.
/// </summary>
public sealed class ModerationPolicy
{
    public const string Version = "baseline-1";

    public PolicyDecision Evaluate(IReadOnlyList<Signal> signals, IReadOnlyList<string> unavailableChecks)
    {
        if (signals.Any(s => (s.Source is HashBankCheck.SourceName or PdqHashBankCheck.SourceName)
            && s.Category == HashBankCheck.MatchCategory && s.Score >= 1.0))
        {
            return new PolicyDecision(PolicyAction.Reject, "hash-bank-match", 100, Version);
        }

        if (unavailableChecks.Count > 0)
        {
            return new PolicyDecision(PolicyAction.Review, $"checks-unavailable: {string.Join(", ", unavailableChecks)}", 80, Version);
        }

        return new PolicyDecision(PolicyAction.Review, "new-post", 50, Version);
    }
}
