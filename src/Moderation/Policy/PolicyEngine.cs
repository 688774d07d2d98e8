using System.Text.Json.Serialization;
using AiSocial.Moderation.Checks;

namespace AiSocial.Moderation.Policy;

/// <summary>
/// Facts about a post and its author as they were when it was scanned: how old the account is (days), how many of the
/// author's posts were removed or rejected before, how many reports (open or actioned) name the post or its author, and
/// the author's age in years from their birth year.
/// </summary>
public sealed record PostFacts(double AccountAgeDays, int PriorRemovals, int ReportCount, int AuthorAge)
{
    /// <summary>Under 18 by birth year. A birth year alone cannot tell 17 from 18 in the year of the birthday: it errs young.</summary>
    [JsonIgnore]
    public bool AuthorIsMinor => AuthorAge < 18;

    /// <summary>The fact a <see cref="FactCondition"/> names, as a number (authorIsMinor: 0 or 1).</summary>
    public double Get(string name) => name switch
    {
        "accountAgeDays" => AccountAgeDays,
        "priorRemovals" => PriorRemovals,
        "reportCount" => ReportCount,
        "authorAge" => AuthorAge,
        "authorIsMinor" => AuthorIsMinor ? 1 : 0,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a fact"),
    };
}

/// <summary>What a policy is evaluated on: the live signals (never a shadow check's), the required checks that could not run, and the facts.</summary>
public sealed record PolicyInput(IReadOnlyList<Signal> Signals, IReadOnlyList<string> UnavailableRequired, PostFacts Facts);

/// <summary>A signal a decision depended on. Source <c>mismatch</c> marks a prompt–image mismatch (a known bypass).</summary>
public sealed record SignalRead(string Source, string Category, double Score, int? Severity = null)
{
    public const string MismatchSource = "mismatch";
}

/// <summary>What a policy version decided about a post, which rule (or built-in guard) decided it, and the signals it read.</summary>
public sealed record PolicyDecision(int PolicyVersion, PolicyAction Action, string RuleId, string? Queue, int? Priority, string? ContentWarning,
    string Reason, IReadOnlyList<SignalRead> SignalsRead)
{
    /// <summary>The version as labels, review tasks and people show it.</summary>
    public string VersionLabel => PolicyEngine.Label(PolicyVersion);
}

/// <summary>
/// Evaluates a policy document on a post. Built-in guards, which no document can switch off, come first (a required
/// check that could not run holds the post; minor presence with any sexual signal holds it in the minor-safety queue),
/// then the rules in order, first match deciding, then the default. After the rules, an author under 18 never gets
/// publish-sensitive, and a prompt–image mismatch raises a hold's priority. Pure: the same input always gives the
/// same decision, which is what backtests and shadow runs rely on.
/// </summary>
public static class PolicyEngine
{
    public const string UnavailableGuard = "guard:checks-unavailable";
    public const string MinorSafetyGuard = "guard:minor-safety";
    public const string MinorAuthorGuard = "guard:minor-author";
    public const string DefaultRule = "default";
    public const string MinorSafetyQueue = "minor-safety";
    public const string MinorPresenceSource = "minor-safety";
    public const string MinorPresenceCategory = "minor-presence";
    public const int UnavailablePriority = 80;
    public const int MinorAuthorPriority = 60;
    public const int MismatchRaise = 20;

    // Where a document sets no threshold for a category a guard reads, half-way is where the models' own training put it.
    private const double GuardFallbackThreshold = 0.5;

    // Sources that look only at the post's text, and those that look only at its image (for the mismatch guard).
    private static readonly HashSet<string> TextSources = ["contentsafety.text", "text-classifier"];
    private static readonly HashSet<string> ImageSources = [NsfwCheck.SourceName, "contentsafety.image"];

    public static string Label(int version) => $"v{version}";

    public static PolicyDecision Evaluate(int version, PolicyDocument document, PolicyInput input)
    {
        if (input.UnavailableRequired.Count > 0)
        {
            return new PolicyDecision(version, PolicyAction.Hold, UnavailableGuard, PolicyDocument.DefaultQueue, UnavailablePriority, null,
                $"checks-unavailable: {string.Join(", ", input.UnavailableRequired)}", []);
        }

        var minors = input.Signals.Where(s => s.Source == MinorPresenceSource && s.Category == MinorPresenceCategory
            && s.Score >= Threshold(document, s)).ToList();
        var sexual = input.Signals.Where(s => IsSexual(s) && s.Score >= Threshold(document, s)).ToList();
        if (minors.Count > 0 && sexual.Count > 0)
        {
            return new PolicyDecision(version, PolicyAction.Hold, MinorSafetyGuard, MinorSafetyQueue, 100, null,
                "minor presence with a sexual signal: never published without a person", [.. minors.Concat(sexual).Select(Read)]);
        }

        var decision = ApplyRules(version, document, input);
        if (decision.Action == PolicyAction.PublishSensitive && input.Facts.AuthorIsMinor)
        {
            decision = decision with
            {
                Action = PolicyAction.Hold,
                RuleId = MinorAuthorGuard,
                Queue = PolicyDocument.DefaultQueue,
                Priority = MinorAuthorPriority,
                ContentWarning = null,
                Reason = $"the author is under 18, so rule '{decision.RuleId}' may not publish it as sensitive",
            };
        }

        if (Mismatch(document, input.Signals) is { } mismatch)
        {
            decision = decision with
            {
                Priority = decision.Action.IsHeld() ? Math.Min(100, (decision.Priority ?? PolicyDocument.DefaultPriority) + MismatchRaise) : decision.Priority,
                SignalsRead = [.. decision.SignalsRead, mismatch],
                Reason = decision.Action.IsHeld() ? $"{decision.Reason}; prompt-image mismatch" : decision.Reason,
            };
        }

        return decision;
    }

    private static PolicyDecision ApplyRules(int version, PolicyDocument document, PolicyInput input)
    {
        var readByAll = new List<Signal>();
        foreach (var rule in document.Rules)
        {
            var read = new List<Signal>();
            if (Matches(rule.When, document, input, read))
            {
                return Decide(version, rule.Then, rule.Id, rule.Description ?? rule.Id, read);
            }

            readByAll.AddRange(read);
        }

        // No rule matched: the default decided because of everything the rules looked at.
        return Decide(version, document.Default, DefaultRule, "no rule matched", readByAll);
    }

    private static PolicyDecision Decide(int version, PolicyOutcome outcome, string ruleId, string reason, List<Signal> read) =>
        new(version, outcome.Action, ruleId, outcome.Queue, outcome.Priority, outcome.ContentWarning, reason, [.. read.Distinct().Select(Read)]);

    private static bool Matches(PolicyCondition condition, PolicyDocument document, PolicyInput input, List<Signal> read)
    {
        switch (condition)
        {
            case AllCondition all:
                // Every part is evaluated (no short cut) so the signals read are the same whichever part fails first.
                return all.Conditions.Select(c => Matches(c, document, input, read)).ToList().TrueForAll(m => m);
            case AnyCondition any:
                return any.Conditions.Select(c => Matches(c, document, input, read)).ToList().Exists(m => m);
            case NotCondition not:
                return !Matches(not.Condition, document, input, read);
            case SignalCondition signal:
                var candidates = input.Signals.Where(s => s.Source == signal.Source && s.Category == signal.Category).ToList();
                read.AddRange(candidates);
                return candidates.Exists(s => Within(signal, s, document));
            case FactCondition fact:
                var value = input.Facts.Get(fact.Name);
                return (fact.Min is not { } min || value >= min) && (fact.Max is not { } max || value <= max);
            case CleanCondition clean:
                var graded = input.Signals.Where(s => document.ThresholdFor(s.Source, s.Category) is not null && !clean.Excepts(s.Source, s.Category)).ToList();
                read.AddRange(graded);
                return input.UnavailableRequired.Count == 0 && graded.TrueForAll(s => s.Score < document.ThresholdFor(s.Source, s.Category));
            default:
                throw new ArgumentOutOfRangeException(nameof(condition));
        }
    }

    private static bool Within(SignalCondition condition, Signal signal, PolicyDocument document)
    {
        var min = condition.MinIsThreshold ? document.ThresholdFor(signal.Source, signal.Category) : condition.Min;
        if (min is { } low && signal.Score < low)
        {
            return false;
        }

        if (condition.Max is { } high && signal.Score > high)
        {
            return false;
        }

        if (condition.MinSeverity is not null || condition.MaxSeverity is not null)
        {
            return signal.Severity is { } severity
                && (condition.MinSeverity is not { } minSeverity || severity >= minSeverity)
                && (condition.MaxSeverity is not { } maxSeverity || severity <= maxSeverity);
        }

        return true;
    }

    private static double Threshold(PolicyDocument document, Signal signal) =>
        document.ThresholdFor(signal.Source, signal.Category) ?? GuardFallbackThreshold;

    /// <summary>Sexual content by any check: NSFW's porn, hentai and sexy; any service's "sexual" and its subcategories.</summary>
    internal static bool IsSexual(Signal signal) =>
        signal.Source == NsfwCheck.SourceName
            ? signal.Category is "porn" or "hentai" or "sexy"
            : signal.Category == "sexual" || signal.Category.StartsWith("sexual/", StringComparison.Ordinal);

    /// <summary>
    /// A prompt the text checks found safe with an image the image checks find sexual or violent: how people get what
    /// the prompt filters refuse. Only when a text check actually ran (gave signals); with none, nothing was found safe.
    /// </summary>
    private static SignalRead? Mismatch(PolicyDocument document, IReadOnlyList<Signal> signals)
    {
        var text = signals.Where(s => TextSources.Contains(s.Source)).ToList();
        if (text.Count == 0 || text.Exists(s => s.Score >= Threshold(document, s)))
        {
            return null;
        }

        var image = signals.Where(s => ImageSources.Contains(s.Source) && (IsSexual(s) || s.Category.StartsWith("violence", StringComparison.Ordinal))
            && s.Score >= Threshold(document, s)).ToList();
        return image.Count == 0
            ? null
            : new SignalRead(SignalRead.MismatchSource, string.Join(",", image.Select(s => $"{s.Source}/{s.Category}").Distinct()), image.Max(s => s.Score));
    }

    private static SignalRead Read(Signal signal) => new(signal.Source, signal.Category, Math.Round(signal.Score, 4), signal.Severity);
}
