using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Policy;

namespace AiSocial.Moderation.Tests.Policy;

public sealed class PolicyEngineTests
{
    private static readonly PostFacts Adult = new(AccountAgeDays: 400, PriorRemovals: 0, ReportCount: 0, AuthorAge: 30);

    private const string Sample =
        """
        {
          "thresholds": { "nsfw/porn": 0.85, "nsfw/sexy": 0.6, "contentsafety.text/*": 0.28, "minor-safety/minor-presence": 0.5 },
          "rules": [
            { "id": "bank-match", "when": { "signal": { "source": "hashbank.sha256", "category": "known_bad_media", "min": 1 } },
              "then": { "action": "reject" } },
            { "id": "severe", "when": { "signal": { "source": "contentsafety.text", "category": "hate", "minSeverity": 6 } },
              "then": { "action": "escalate" } },
            { "id": "clean", "when": { "clean": {} }, "then": { "action": "publish" } },
            { "id": "suggestive", "when": { "all": [ { "signal": { "source": "nsfw", "category": "sexy", "min": "threshold" } },
                                                      { "not": { "signal": { "source": "nsfw", "category": "porn", "min": 0.5 } } } ] },
              "then": { "action": "publish-sensitive", "contentWarning": "Suggestive" } },
            { "id": "new-account-many-reports", "when": { "all": [ { "fact": { "name": "accountAgeDays", "max": 7 } },
                                                                    { "fact": { "name": "reportCount", "min": 3 } } ] },
              "then": { "action": "hold", "queue": "general", "priority": 70 } }
          ],
          "default": { "action": "hold", "queue": "general", "priority": 50 }
        }
        """;

    private static readonly PolicyDocument Document = PolicyDocument.Parse(Sample);

    private static Signal Nsfw(string category, double score) => new("nsfw", "nsfwjs-1", category, score);

    private static Signal ContentSafety(string source, string category, int level) => new(source, "2024-09-01", category, level / 7.0, Severity: level);

    private static PolicyDecision Decide(PostFacts facts, IReadOnlyList<string> unavailable, params Signal[] signals) =>
        PolicyEngine.Evaluate(7, Document, new PolicyInput(signals, unavailable, facts));

    private static PolicyDecision Decide(params Signal[] signals) => Decide(Adult, [], signals);

    private static IReadOnlyList<PolicyError> Errors(string json)
    {
        Assert.Null(PolicyDocument.TryParse(json, out var errors));
        return errors;
    }

    [Fact]
    public void A_post_no_signal_reaches_a_threshold_is_published_by_the_clean_rule_which_read_the_graded_signals()
    {
        var decision = Decide(Nsfw("porn", 0.1), Nsfw("sexy", 0.2), Nsfw("neutral", 0.7));

        Assert.Equal((PolicyAction.Publish, "clean", "v7"), (decision.Action, decision.RuleId, decision.VersionLabel));
        Assert.Equal(["nsfw/porn", "nsfw/sexy"], decision.SignalsRead.Select(s => $"{s.Source}/{s.Category}").Order());
    }

    [Fact]
    public void The_first_matching_rule_decides_in_order_and_the_default_takes_what_none_matches()
    {
        var bank = new Signal("hashbank.sha256", "1", "known_bad_media", 1.0);

        Assert.Equal("bank-match", Decide(bank, Nsfw("sexy", 0.9)).RuleId);
        Assert.Equal(PolicyAction.Reject, Decide(bank, Nsfw("sexy", 0.9)).Action);
        var suggestive = Decide(Nsfw("sexy", 0.7), Nsfw("porn", 0.2));
        Assert.Equal((PolicyAction.PublishSensitive, "suggestive", "Suggestive"), (suggestive.Action, suggestive.RuleId, suggestive.ContentWarning));
        var fallback = Decide(Nsfw("sexy", 0.7), Nsfw("porn", 0.6));
        Assert.Equal((PolicyAction.Hold, "default", "general", 50), (fallback.Action, fallback.RuleId, fallback.Queue, fallback.Priority));
    }

    [Fact]
    public void Severity_bounds_read_the_level_and_escalate_holds_in_the_escalation_queue_at_ninety_or_more()
    {
        var low = Decide(ContentSafety("contentsafety.text", "hate", 4));
        var high = Decide(ContentSafety("contentsafety.text", "hate", 6));

        Assert.Equal("default", low.RuleId);
        Assert.Equal((PolicyAction.Escalate, "severe", "escalation", 90), (high.Action, high.RuleId, high.Queue, high.Priority));
        Assert.Equal([new SignalRead("contentsafety.text", "hate", Math.Round(6 / 7.0, 4), 6)], high.SignalsRead);
    }

    [Fact]
    public void Facts_decide_rules_about_the_account()
    {
        var reported = Adult with { AccountAgeDays = 2, ReportCount = 3 };

        Assert.Equal(("new-account-many-reports", 70), (Decide(reported, [], Nsfw("porn", 0.9)).RuleId, Decide(reported, [], Nsfw("porn", 0.9)).Priority));
        Assert.Equal("default", Decide(reported with { ReportCount = 2 }, [], Nsfw("porn", 0.9)).RuleId);
    }

    [Fact]
    public void A_required_check_that_could_not_run_holds_the_post_before_any_rule_even_one_that_publishes()
    {
        var decision = Decide(Adult, ["nsfw", "ocr"]);

        Assert.Equal((PolicyAction.Hold, PolicyEngine.UnavailableGuard, "general", 80), (decision.Action, decision.RuleId, decision.Queue, decision.Priority));
        Assert.Equal("checks-unavailable: nsfw, ocr", decision.Reason);
    }

    [Fact]
    public void Minor_presence_with_any_sexual_signal_holds_in_the_minor_safety_queue_at_top_priority_whatever_the_rules_say()
    {
        var minor = new Signal("minor-safety", "terms-1", "minor-presence", 1.0);

        var withSexy = Decide(minor, Nsfw("sexy", 0.7));
        var withServiceSexual = Decide(minor, ContentSafety("contentsafety.image", "sexual", 4));
        var alone = Decide(minor, Nsfw("sexy", 0.1));

        Assert.Equal((PolicyAction.Hold, PolicyEngine.MinorSafetyGuard, "minor-safety", 100),
            (withSexy.Action, withSexy.RuleId, withSexy.Queue, withSexy.Priority));
        Assert.Contains(withSexy.SignalsRead, s => s.Source == "minor-safety");
        Assert.Equal(PolicyEngine.MinorSafetyGuard, withServiceSexual.RuleId);
        // The minor-presence signal has a threshold, so on its own it is not clean either; the default holds it.
        Assert.Equal(("default", PolicyAction.Hold), (alone.RuleId, alone.Action));
    }

    [Fact]
    public void An_author_under_eighteen_is_never_published_as_sensitive()
    {
        var minorAuthor = Adult with { AuthorAge = 16 };

        var decision = Decide(minorAuthor, [], Nsfw("sexy", 0.7), Nsfw("porn", 0.1));

        Assert.Equal((PolicyAction.Hold, PolicyEngine.MinorAuthorGuard, null), (decision.Action, decision.RuleId, decision.ContentWarning));
        Assert.Contains("suggestive", decision.Reason);
        Assert.Equal(PolicyAction.Publish, Decide(minorAuthor, [], Nsfw("sexy", 0.1)).Action);
    }

    [Fact]
    public void A_safe_prompt_with_a_sexual_image_raises_the_holds_priority_and_records_the_mismatch()
    {
        var safeText = ContentSafety("contentsafety.text", "sexual", 0);

        var mismatch = Decide(safeText, Nsfw("sexy", 0.7), Nsfw("porn", 0.6));
        var matching = Decide(ContentSafety("contentsafety.text", "sexual", 4), Nsfw("sexy", 0.7), Nsfw("porn", 0.6));
        var noTextCheck = Decide(Nsfw("sexy", 0.7), Nsfw("porn", 0.6));

        Assert.Equal((PolicyAction.Hold, 70), (mismatch.Action, mismatch.Priority));
        var read = Assert.Single(mismatch.SignalsRead, s => s.Source == SignalRead.MismatchSource);
        // nsfw/porn at 0.6 is under its 0.85 threshold: only the class over its threshold counts.
        Assert.Equal(("nsfw/sexy", 0.7), (read.Category, read.Score));
        Assert.Equal(50, matching.Priority);
        Assert.Equal(50, noTextCheck.Priority);
    }

    [Fact]
    public void Shadow_signals_are_not_in_the_input_so_the_same_post_decides_the_same()
    {
        var document = PolicyDocument.Parse(Sample);

        var again = PolicyEngine.Evaluate(7, document, new PolicyInput([Nsfw("porn", 0.1)], [], Adult));

        Assert.Equal((Decide(Nsfw("porn", 0.1)).Action, Decide(Nsfw("porn", 0.1)).RuleId), (again.Action, again.RuleId));
    }

    [Fact]
    public void A_document_round_trips_through_its_json()
    {
        var again = PolicyDocument.Parse(Document.ToJson());

        Assert.Equal(Document.ToJson(), again.ToJson());
        Assert.Equal(5, again.Rules.Count);
        Assert.Equal(0.85, again.ThresholdFor("nsfw", "porn"));
        Assert.Equal(0.28, again.ThresholdFor("contentsafety.text", "violence"));
        Assert.Null(again.ThresholdFor("nsfw", "neutral"));
    }

    [Fact]
    public void Every_error_in_a_document_is_reported_with_the_path_of_its_rule_and_condition()
    {
        var errors = Errors(
            """
            {
              "thresholds": { "nsfw": 2 },
              "rules": [
                { "id": "ok", "when": { "clean": {} }, "then": { "action": "publish" } },
                { "id": "ok", "when": { "all": [ { "signal": { "source": "nsfw", "category": "porn", "min": 1.5 } } ] }, "then": { "action": "hold", "priority": 101 } },
                { "id": "x", "when": { "any": [ { "fact": { "name": "shoeSize", "min": 1 } }, { "maybe": {} } ] }, "then": { "action": "publish-sensitive" } },
                { "id": "y", "when": { "signal": { "source": "nsfw", "category": "sexy", "min": "threshold" } }, "then": { "action": "shrug" } }
              ]
            }
            """);

        var paths = errors.Select(e => e.Path).ToList();
        Assert.Contains("thresholds[\"nsfw\"]", paths);
        Assert.Contains("rules[1].id", paths);
        Assert.Contains("rules[1].when.all[0].signal.min", paths);
        Assert.Contains("rules[1].then.priority", paths);
        Assert.Contains("rules[2].when.any[0].fact.name", paths);
        Assert.Contains("rules[2].when.any[1]", paths);
        Assert.Contains("rules[2].then.contentWarning", paths);
        Assert.Contains("rules[3].when.signal.min", paths);
        Assert.Contains("rules[3].then.action", paths);
        Assert.Contains("default", paths);
        Assert.Contains(errors, e => e.Path == "rules[3].when.signal.min" && e.Message.Contains("nsfw/sexy"));
    }

    [Theory]
    [InlineData("not json", "$")]
    [InlineData("[]", "$")]
    [InlineData("""{ "rules": [], "default": { "action": "hold" }, "extra": 1 }""", "extra")]
    [InlineData("""{ "rules": [ { "id": "guard:x", "when": { "clean": {} }, "then": { "action": "publish" } } ], "default": { "action": "hold" } }""", "rules[0].id")]
    [InlineData("""{ "rules": [], "default": { "action": "publish", "queue": "general" } }""", "default")]
    [InlineData("""{ "rules": [], "default": { "action": "escalate", "priority": 40 } }""", "default.priority")]
    [InlineData("""{ "rules": [ { "id": "a", "when": { "not": { "clean": { "except": ["nsfw"] } } }, "then": { "action": "reject" } } ], "default": { "action": "hold" } }""", "rules[0].when.not.clean.except[0]")]
    public void A_malformed_document_names_where(string json, string path) =>
        Assert.Contains(Errors(json), e => e.Path == path);
}
