using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiSocial.Problems;

namespace AiSocial.Moderation.Policy;

/// <summary>What a policy decides about a post. Stored by its kebab-case name (<see cref="PolicyActions"/>).</summary>
public enum PolicyAction
{
    /// <summary>Published, visible to everyone.</summary>
    Publish,

    /// <summary>Published blurred, behind a content warning.</summary>
    PublishSensitive,

    /// <summary>Held for a person to decide, in a queue at a priority.</summary>
    Hold,

    /// <summary>Refused outright; the author sees it as rejected.</summary>
    Reject,

    /// <summary>Held in the escalation queue at high priority, for senior staff.</summary>
    Escalate,
}

public static class PolicyActions
{
    private static readonly Dictionary<string, PolicyAction> ByName = new(StringComparer.Ordinal)
    {
        ["publish"] = PolicyAction.Publish,
        ["publish-sensitive"] = PolicyAction.PublishSensitive,
        ["hold"] = PolicyAction.Hold,
        ["reject"] = PolicyAction.Reject,
        ["escalate"] = PolicyAction.Escalate,
    };

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    /// <summary>The name in policy documents and in <c>moderation.decisions.action</c>.</summary>
    public static string ToName(this PolicyAction action) => ByName.First(pair => pair.Value == action).Key;

    public static bool TryParse(string? name, out PolicyAction action) => ByName.TryGetValue(name ?? "", out action);

    public static PolicyAction Parse(string name) =>
        TryParse(name, out var action) ? action : throw new FormatException($"'{name}' is not a policy action.");

    /// <summary>Whether the post waits for a person.</summary>
    public static bool IsHeld(this PolicyAction action) => action is PolicyAction.Hold or PolicyAction.Escalate;
}

/// <summary>What a rule (or the default) does: the action and, for holds, the queue and priority; for sensitive posts, the warning.</summary>
public sealed record PolicyOutcome(PolicyAction Action, string? Queue = null, int? Priority = null, string? ContentWarning = null);

/// <summary>A condition over a post's signals and facts.</summary>
public abstract record PolicyCondition;

public sealed record AllCondition(IReadOnlyList<PolicyCondition> Conditions) : PolicyCondition;

public sealed record AnyCondition(IReadOnlyList<PolicyCondition> Conditions) : PolicyCondition;

public sealed record NotCondition(PolicyCondition Condition) : PolicyCondition;

/// <summary>
/// A live signal of <paramref name="Source"/>/<paramref name="Category"/> within bounds: score in [min, max] (min may
/// be the document's threshold for the category), severity level in [minSeverity, maxSeverity]. No such signal: false.
/// </summary>
public sealed record SignalCondition(string Source, string Category, double? Min = null, bool MinIsThreshold = false, double? Max = null,
    int? MinSeverity = null, int? MaxSeverity = null) : PolicyCondition;

/// <summary>A fact about the post or its author within [min, max].</summary>
public sealed record FactCondition(string Name, double? Min = null, double? Max = null) : PolicyCondition;

/// <summary>
/// Every required check ran and no live signal reaches its category's threshold, leaving out the <paramref name="Except"/>
/// categories (<c>source/category</c>): "clean but for being suggestive" is how a rule says suggestive but allowed.
/// </summary>
public sealed record CleanCondition(IReadOnlyList<string> Except) : PolicyCondition
{
    public static readonly CleanCondition Strict = new([]);

    public bool Excepts(string source, string category) => Except.Contains($"{source}/{category}", StringComparer.Ordinal);
}

public sealed record PolicyRule(string Id, string? Description, PolicyCondition When, PolicyOutcome Then);

/// <summary>Where in a policy document something is wrong (a JSON path such as <c>rules[2].when.all[0].signal.min</c>), and what.</summary>
public sealed record PolicyError(string Path, string Message);

/// <summary>
/// A policy version's rules: per-category thresholds, rules tried in order (the first that matches decides) and the
/// default for a post no rule matches. Stored as JSON in <c>moderation.policy_versions.document</c>; the format is in
/// the README ("Moderation policy").
/// </summary>
public sealed record PolicyDocument(IReadOnlyDictionary<string, double> Thresholds, IReadOnlyList<PolicyRule> Rules, PolicyOutcome Default)
{
    public const int MaxRules = 200;
    public const int MaxDepth = 8;
    public const string DefaultQueue = "general";
    public const int DefaultPriority = 50;
    public const string EscalationQueue = "escalation";
    public const int EscalationMinPriority = 90;

    /// <summary>The facts a <c>fact</c> condition may name (see <see cref="PostFacts"/>).</summary>
    public static readonly IReadOnlySet<string> FactNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "accountAgeDays", "priorRemovals", "reportCount", "authorAge", "authorIsMinor",
    };

    /// <summary>The threshold of a category: <c>source/category</c>, else the source's <c>source/*</c>; null when neither is set.</summary>
    public double? ThresholdFor(string source, string category) =>
        Thresholds.TryGetValue($"{source}/{category}", out var exact) ? exact
        : Thresholds.TryGetValue($"{source}/*", out var any) ? any
        : null;

    /// <summary>Reads and validates a document; every problem is reported with its path, not only the first.</summary>
    /// <returns>The document, or null when <paramref name="errors"/> lists what is wrong.</returns>
    public static PolicyDocument? TryParse(string json, out IReadOnlyList<PolicyError> errors)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException exception)
        {
            errors = [new PolicyError("$", $"not valid JSON: {exception.Message}")];
            return null;
        }

        var reader = new Reader();
        var document = reader.Document(root);
        errors = reader.Errors;
        return errors.Count > 0 ? null : document;
    }

    /// <summary>Reads a document known to be valid (one stored by <see cref="PolicyStore"/>).</summary>
    public static PolicyDocument Parse(string json) => TryParse(json, out var errors) ?? throw new FormatException(
        $"The policy document is invalid: {string.Join("; ", errors.Select(e => $"{e.Path}: {e.Message}"))}");

    /// <summary>The document as JSON, in the shape <see cref="Parse"/> reads, with its keys in a fixed order.</summary>
    public string ToJson() => ToNode().ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    public JsonObject ToNode()
    {
        var thresholds = new JsonObject();
        foreach (var (key, value) in Thresholds.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            thresholds[key] = value;
        }

        return new JsonObject
        {
            ["thresholds"] = thresholds,
            ["rules"] = new JsonArray([.. Rules.Select(RuleNode)]),
            ["default"] = OutcomeNode(Default),
        };
    }

    public static JsonObject RuleNode(PolicyRule rule)
    {
        var node = new JsonObject { ["id"] = rule.Id };
        if (rule.Description is { } description)
        {
            node["description"] = description;
        }

        node["when"] = ConditionNode(rule.When);
        node["then"] = OutcomeNode(rule.Then);
        return node;
    }

    public static JsonObject OutcomeNode(PolicyOutcome outcome)
    {
        var node = new JsonObject { ["action"] = outcome.Action.ToName() };
        if (outcome.Queue is { } queue)
        {
            node["queue"] = queue;
        }

        if (outcome.Priority is { } priority)
        {
            node["priority"] = priority;
        }

        if (outcome.ContentWarning is { } warning)
        {
            node["contentWarning"] = warning;
        }

        return node;
    }

    private static JsonObject ConditionNode(PolicyCondition condition) => condition switch
    {
        AllCondition all => new JsonObject { ["all"] = new JsonArray([.. all.Conditions.Select(ConditionNode)]) },
        AnyCondition any => new JsonObject { ["any"] = new JsonArray([.. any.Conditions.Select(ConditionNode)]) },
        NotCondition not => new JsonObject { ["not"] = ConditionNode(not.Condition) },
        SignalCondition signal => new JsonObject { ["signal"] = SignalNode(signal) },
        FactCondition fact => new JsonObject { ["fact"] = Bounds(new JsonObject { ["name"] = fact.Name }, fact.Min, fact.Max) },
        CleanCondition { Except.Count: 0 } => new JsonObject { ["clean"] = new JsonObject() },
        CleanCondition clean => new JsonObject { ["clean"] = new JsonObject { ["except"] = new JsonArray([.. clean.Except.Select(e => (JsonNode?)e)]) } },
        _ => throw new ArgumentOutOfRangeException(nameof(condition)),
    };

    private static JsonObject SignalNode(SignalCondition signal)
    {
        var node = new JsonObject { ["source"] = signal.Source, ["category"] = signal.Category };
        if (signal.MinIsThreshold)
        {
            node["min"] = "threshold";
        }
        else if (signal.Min is { } min)
        {
            node["min"] = min;
        }

        if (signal.Max is { } max)
        {
            node["max"] = max;
        }

        if (signal.MinSeverity is { } minSeverity)
        {
            node["minSeverity"] = minSeverity;
        }

        if (signal.MaxSeverity is { } maxSeverity)
        {
            node["maxSeverity"] = maxSeverity;
        }

        return node;
    }

    private static JsonObject Bounds(JsonObject node, double? min, double? max)
    {
        if (min is { } low)
        {
            node["min"] = low;
        }

        if (max is { } high)
        {
            node["max"] = high;
        }

        return node;
    }

    /// <summary>Reads the JSON tree, collecting every error with its path; returns null where a part cannot be read.</summary>
    private sealed class Reader
    {
        public List<PolicyError> Errors { get; } = [];

        private void Error(string path, string message) => Errors.Add(new PolicyError(path, message));

        public PolicyDocument? Document(JsonNode? root)
        {
            if (root is not JsonObject document)
            {
                Error("$", "a policy is a JSON object with thresholds, rules and default");
                return null;
            }

            Unknown(document, "", "thresholds", "rules", "default");
            var thresholds = Thresholds(document["thresholds"]);
            var rules = new List<PolicyRule>();
            if (document["rules"] is not JsonArray ruleArray)
            {
                Error("rules", "rules is required: an array of rules, tried in order");
            }
            else if (ruleArray.Count > MaxRules)
            {
                Error("rules", $"at most {MaxRules} rules");
            }
            else
            {
                var ids = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < ruleArray.Count; i++)
                {
                    if (Rule(ruleArray[i], $"rules[{i}]", thresholds) is { } rule)
                    {
                        if (!ids.Add(rule.Id))
                        {
                            Error($"rules[{i}].id", $"another rule already has id '{rule.Id}'");
                        }

                        rules.Add(rule);
                    }
                }
            }

            var fallback = document["default"] is null
                ? Missing("default", "default is required: what happens to a post no rule matches")
                : Outcome(document["default"], "default");
            return fallback is null ? null : new PolicyDocument(thresholds, rules, fallback);
        }

        private PolicyOutcome? Missing(string path, string message)
        {
            Error(path, message);
            return null;
        }

        private Dictionary<string, double> Thresholds(JsonNode? node)
        {
            var thresholds = new Dictionary<string, double>(StringComparer.Ordinal);
            if (node is null)
            {
                return thresholds;
            }

            if (node is not JsonObject map)
            {
                Error("thresholds", "thresholds is an object of \"source/category\": score (0-1)");
                return thresholds;
            }

            foreach (var (key, value) in map)
            {
                var path = $"thresholds[\"{key}\"]";
                // Categories may hold a slash themselves (OpenAI's "sexual/minors"): the source is up to the first one.
                var slash = key.IndexOf('/');
                if (slash <= 0 || slash == key.Length - 1)
                {
                    Error(path, "a threshold's key is \"source/category\" (or \"source/*\" for every category of a source)");
                    continue;
                }

                if (Number(value, path, 0, 1) is { } score)
                {
                    thresholds[key] = score;
                }
            }

            return thresholds;
        }

        private PolicyRule? Rule(JsonNode? node, string path, Dictionary<string, double> thresholds)
        {
            if (node is not JsonObject rule)
            {
                Error(path, "a rule is an object with id, when and then");
                return null;
            }

            Unknown(rule, path, "id", "description", "when", "then");
            var id = Text(rule["id"], $"{path}.id", required: true, max: 80);
            if (id is not null && !IsRuleId(id))
            {
                Error($"{path}.id", "a rule id is 1-80 characters of a-z, 0-9, '-', '_' or '.', and may not start with 'guard:' or be 'default'");
            }

            var description = Text(rule["description"], $"{path}.description", required: false, max: 2000);
            var when = rule["when"] is null ? MissingCondition($"{path}.when") : Condition(rule["when"], $"{path}.when", thresholds, 1);
            var then = rule["then"] is null ? Missing($"{path}.then", "then is required: the outcome when the rule matches") : Outcome(rule["then"], $"{path}.then");
            return id is null || when is null || then is null ? null : new PolicyRule(id, description, when, then);
        }

        private static bool IsRuleId(string id) =>
            id != "default" && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.');

        private PolicyCondition? MissingCondition(string path)
        {
            Error(path, "when is required: the condition under which the rule matches");
            return null;
        }

        private PolicyCondition? Condition(JsonNode? node, string path, Dictionary<string, double> thresholds, int depth)
        {
            if (depth > MaxDepth)
            {
                Error(path, $"conditions nest at most {MaxDepth} deep");
                return null;
            }

            if (node is not JsonObject condition || condition.Count != 1)
            {
                Error(path, "a condition is an object with exactly one of all, any, not, signal, fact or clean");
                return null;
            }

            var (kind, value) = condition.First();
            var inner = $"{path}.{kind}";
            switch (kind)
            {
                case "all" or "any":
                    if (value is not JsonArray items || items.Count == 0)
                    {
                        Error(inner, $"{kind} takes a non-empty array of conditions");
                        return null;
                    }

                    var conditions = items.Select((item, i) => Condition(item, $"{inner}[{i}]", thresholds, depth + 1)).ToList();
                    if (conditions.Any(c => c is null))
                    {
                        return null;
                    }

                    return kind == "all" ? new AllCondition(conditions!) : new AnyCondition(conditions!);
                case "not":
                    return Condition(value, inner, thresholds, depth + 1) is { } negated ? new NotCondition(negated) : null;
                case "signal":
                    return Signal(value, inner, thresholds);
                case "fact":
                    return Fact(value, inner);
                case "clean":
                    return Clean(value, inner);
                default:
                    Error(path, $"'{kind}' is not a condition; use all, any, not, signal, fact or clean");
                    return null;
            }
        }

        private SignalCondition? Signal(JsonNode? node, string path, Dictionary<string, double> thresholds)
        {
            if (node is not JsonObject signal)
            {
                Error(path, "signal is an object with source, category and bounds (min/max on the score, or minSeverity/maxSeverity)");
                return null;
            }

            Unknown(signal, path, "source", "category", "min", "max", "minSeverity", "maxSeverity");
            var source = Text(signal["source"], $"{path}.source", required: true, max: 100);
            var category = Text(signal["category"], $"{path}.category", required: true, max: 100);
            double? min = null;
            var minIsThreshold = false;
            if (signal["min"] is JsonValue minValue && minValue.GetValueKind() == JsonValueKind.String)
            {
                if (minValue.GetValue<string>() != "threshold")
                {
                    Error($"{path}.min", "min is a score from 0 to 1, or the string \"threshold\"");
                }
                else if (source is not null && category is not null
                    && !thresholds.ContainsKey($"{source}/{category}") && !thresholds.ContainsKey($"{source}/*"))
                {
                    Error($"{path}.min", $"\"threshold\" needs thresholds[\"{source}/{category}\"] (or \"{source}/*\"), which is not set");
                }
                else
                {
                    minIsThreshold = true;
                }
            }
            else
            {
                min = signal["min"] is null ? null : Number(signal["min"], $"{path}.min", 0, 1);
            }

            var max = signal["max"] is null ? null : Number(signal["max"], $"{path}.max", 0, 1);
            var minSeverity = signal["minSeverity"] is null ? null : Integer(signal["minSeverity"], $"{path}.minSeverity", 0, 7);
            var maxSeverity = signal["maxSeverity"] is null ? null : Integer(signal["maxSeverity"], $"{path}.maxSeverity", 0, 7);
            if (min is null && !minIsThreshold && max is null && minSeverity is null && maxSeverity is null
                && signal["min"] is null && signal["max"] is null && signal["minSeverity"] is null && signal["maxSeverity"] is null)
            {
                Error(path, "signal needs at least one bound: min, max, minSeverity or maxSeverity");
            }

            if (min > max)
            {
                Error($"{path}.max", "max is below min: nothing can match");
            }

            if (minSeverity > maxSeverity)
            {
                Error($"{path}.maxSeverity", "maxSeverity is below minSeverity: nothing can match");
            }

            return source is null || category is null ? null : new SignalCondition(source, category, min, minIsThreshold, max, minSeverity, maxSeverity);
        }

        private CleanCondition? Clean(JsonNode? node, string path)
        {
            if (node is not JsonObject clean)
            {
                Error(path, "clean takes an object: {} or {\"except\": [\"source/category\", ...]}");
                return null;
            }

            Unknown(clean, path, "except");
            if (clean["except"] is null)
            {
                return CleanCondition.Strict;
            }

            if (clean["except"] is not JsonArray except)
            {
                Error($"{path}.except", "except is an array of \"source/category\" strings");
                return null;
            }

            var categories = new List<string>();
            for (var i = 0; i < except.Count; i++)
            {
                var key = Text(except[i], $"{path}.except[{i}]", required: true, max: 200);
                if (key is null)
                {
                    continue;
                }

                if (key.IndexOf('/') <= 0 || key.EndsWith('/'))
                {
                    Error($"{path}.except[{i}]", "each entry is \"source/category\"");
                    continue;
                }

                categories.Add(key);
            }

            return new CleanCondition(categories);
        }

        private FactCondition? Fact(JsonNode? node, string path)
        {
            if (node is not JsonObject fact)
            {
                Error(path, "fact is an object with name and min and/or max");
                return null;
            }

            Unknown(fact, path, "name", "min", "max");
            var name = Text(fact["name"], $"{path}.name", required: true, max: 40);
            if (name is not null && !FactNames.Contains(name))
            {
                Error($"{path}.name", $"'{name}' is not a fact; use one of {string.Join(", ", FactNames)}");
                name = null;
            }

            var min = fact["min"] is null ? null : Number(fact["min"], $"{path}.min", 0, 1_000_000);
            var max = fact["max"] is null ? null : Number(fact["max"], $"{path}.max", 0, 1_000_000);
            if (fact["min"] is null && fact["max"] is null)
            {
                Error(path, "fact needs min, max or both");
            }

            if (min > max)
            {
                Error($"{path}.max", "max is below min: nothing can match");
            }

            return name is null ? null : new FactCondition(name, min, max);
        }

        private PolicyOutcome? Outcome(JsonNode? node, string path)
        {
            if (node is not JsonObject outcome)
            {
                Error(path, "an outcome is an object with action (publish, publish-sensitive, hold, reject or escalate)");
                return null;
            }

            Unknown(outcome, path, "action", "queue", "priority", "contentWarning");
            var name = Text(outcome["action"], $"{path}.action", required: true, max: 40);
            if (name is null)
            {
                return null;
            }

            if (!PolicyActions.TryParse(name, out var action))
            {
                Error($"{path}.action", $"'{name}' is not an action; use one of {string.Join(", ", PolicyActions.Names)}");
                return null;
            }

            var queue = Text(outcome["queue"], $"{path}.queue", required: false, max: 40);
            if (queue is not null && !queue.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                Error($"{path}.queue", "a queue name is 1-40 characters of a-z, 0-9 and '-'");
            }

            var priority = outcome["priority"] is null ? null : Integer(outcome["priority"], $"{path}.priority", 0, 100);
            var warning = Text(outcome["contentWarning"], $"{path}.contentWarning", required: false, max: 200);
            if (!action.IsHeld() && (outcome["queue"] is not null || outcome["priority"] is not null))
            {
                Error(path, $"queue and priority belong to hold and escalate, not {name}");
            }

            if (action != PolicyAction.PublishSensitive && warning is not null)
            {
                Error($"{path}.contentWarning", $"contentWarning belongs to publish-sensitive, not {name}");
            }

            if (action == PolicyAction.PublishSensitive && warning is null && outcome["contentWarning"] is null)
            {
                Error($"{path}.contentWarning", "publish-sensitive needs a contentWarning: what readers see before they unblur it");
            }

            if (action == PolicyAction.Escalate && priority < EscalationMinPriority)
            {
                Error($"{path}.priority", $"escalate works at priority {EscalationMinPriority} or more");
            }

            if (action == PolicyAction.Escalate && queue is not null && queue != EscalationQueue)
            {
                Error($"{path}.queue", $"escalate always uses the {EscalationQueue} queue");
            }

            return action switch
            {
                PolicyAction.Hold => new PolicyOutcome(action, queue ?? DefaultQueue, priority ?? DefaultPriority),
                PolicyAction.Escalate => new PolicyOutcome(action, EscalationQueue, priority ?? EscalationMinPriority),
                PolicyAction.PublishSensitive => new PolicyOutcome(action, ContentWarning: warning),
                _ => new PolicyOutcome(action),
            };
        }

        private string? Text(JsonNode? node, string path, bool required, int max)
        {
            if (node is null)
            {
                if (required)
                {
                    Error(path, $"{Last(path)} is required");
                }

                return null;
            }

            if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
            {
                Error(path, $"{Last(path)} is a string");
                return null;
            }

            var text = value.GetValue<string>();
            if (text.Trim().Length == 0 || text.Length > max)
            {
                Error(path, $"{Last(path)} is 1-{max} characters");
                return null;
            }

            if (TextRules.Problem(text, multiLine: true) is { } problem)
            {
                Error(path, $"{Last(path)} {problem}");
                return null;
            }

            return text;
        }

        private double? Number(JsonNode? node, string path, double min, double max)
        {
            if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var number)
                && number >= min && number <= max)
            {
                return number;
            }

            Error(path, $"{Last(path)} is a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        private int? Integer(JsonNode? node, string path, int min, int max)
        {
            if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var number)
                && number == Math.Floor(number) && number >= min && number <= max)
            {
                return (int)number;
            }

            Error(path, $"{Last(path)} is a whole number from {min} to {max}");
            return null;
        }

        private void Unknown(JsonObject node, string path, params string[] known)
        {
            foreach (var (name, _) in node)
            {
                if (!known.Contains(name))
                {
                    Error(path.Length == 0 ? name : $"{path}.{name}", $"'{name}' is not a member here; the members are {string.Join(", ", known)}");
                }
            }
        }

        private static string Last(string path) => path[(path.LastIndexOf('.') + 1)..];
    }
}
