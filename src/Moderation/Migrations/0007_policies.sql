-- The shipped default policy (version 1, active) and what shadow runs need to pair a shadow decision with the live one.
--
-- Thresholds say where a category starts to count as "found something" (the clean condition, and "min": "threshold").
-- Why these values:
--   * hash banks score 1 on a match and 0 otherwise: 1 means "matched".
--   * nsfw (nsfwjs, five classes whose probabilities sum to 1): porn and hentai at 0.3, sexy at 0.4. A third of the
--     mass on an explicit class is not "found nothing"; sexy is the class ordinary swimwear and fashion land in, so it
--     gets a little more room. drawing and neutral describe an image and have no threshold.
--   * Content Safety scores are level / 7: 0.28 sits between level 0 (safe) and level 2 (low), so any graded finding
--     counts. Images only grade 0/2/4/6, so the same threshold works for both. Blocklist hits score 1.
--   * OpenAI's category scores are probabilities; 0.5 is where its own "flagged" starts for most categories.
--   * the in-house text classifier, protected material and minor presence: 0.5, the decision point they were trained to.
-- Rules, in order (the first that matches decides):
--   1. bank-match: known bad media is rejected; no person needs to see it again.
--   2. severe-content-safety: Content Safety's levels 6-7 are its "high" band, the clearest violations it grades.
--   3. explicit-porn: nsfw porn at 0.95 or more; below that the model is wrong often enough that a person decides.
--   4. reported: a post reported before its scan, or by an author with open or upheld reports, waits for a person even
--      when the checks found nothing: people saw something the models may not.
--   5. clean: every required check ran and nothing reached a threshold, so it is published without a person.
--   6. suggestive: clean but for sexual signals in the suggestive band (nsfw sexy, hentai under 0.7 (suggestive
--      drawings), Content Safety sexual at level 2-3, OpenAI sexual under 0.8): published blurred with a warning.
--   7. likely-violating: explicit nsfw scores or Content Safety's medium band (4-5) are held at a higher priority.
--   Default: everything else waits for a person in the general queue.
alter table moderation.decisions
    add column live_decision_id bigint references moderation.decisions (id);

create index decisions_live on moderation.decisions (live_decision_id) where live_decision_id is not null;

insert into moderation.policy_versions (version, state, document, description, created_by, activated_by, activated_at)
values (1, 'active', $policy$
{
  "thresholds": {
    "hashbank.sha256/known_bad_media": 1,
    "hashbank.pdq/known_bad_media": 1,
    "nsfw/porn": 0.3,
    "nsfw/hentai": 0.3,
    "nsfw/sexy": 0.4,
    "contentsafety.text/*": 0.28,
    "contentsafety.image/*": 0.28,
    "contentsafety.protected-material/*": 0.5,
    "openai/*": 0.5,
    "text-classifier/unsafe_text": 0.5,
    "minor-safety/minor-presence": 0.5
  },
  "rules": [
    {
      "id": "bank-match",
      "description": "The image is in a hash bank of known bad media (exact or perceptual match).",
      "when": { "any": [
        { "signal": { "source": "hashbank.sha256", "category": "known_bad_media", "min": "threshold" } },
        { "signal": { "source": "hashbank.pdq", "category": "known_bad_media", "min": "threshold" } }
      ] },
      "then": { "action": "reject" }
    },
    {
      "id": "severe-content-safety",
      "description": "Content Safety grades the text or the image at its highest levels (6-7).",
      "when": { "any": [
        { "signal": { "source": "contentsafety.text", "category": "hate", "minSeverity": 6 } },
        { "signal": { "source": "contentsafety.text", "category": "self-harm", "minSeverity": 6 } },
        { "signal": { "source": "contentsafety.text", "category": "sexual", "minSeverity": 6 } },
        { "signal": { "source": "contentsafety.text", "category": "violence", "minSeverity": 6 } },
        { "signal": { "source": "contentsafety.image", "category": "hate", "minSeverity": 6 } },
        { "signal": { "source": "contentsafety.image", "category": "self-harm", "minSeverity": 6 } },
        { "signal": { "source": "contentsafety.image", "category": "sexual", "minSeverity": 6 } },
        { "signal": { "source": "contentsafety.image", "category": "violence", "minSeverity": 6 } }
      ] },
      "then": { "action": "reject" }
    },
    {
      "id": "explicit-porn",
      "description": "The NSFW model is all but certain the image is pornographic.",
      "when": { "signal": { "source": "nsfw", "category": "porn", "min": 0.95 } },
      "then": { "action": "reject" }
    },
    {
      "id": "reported",
      "description": "People reported the post or its author (open or upheld reports).",
      "when": { "fact": { "name": "reportCount", "min": 1 } },
      "then": { "action": "hold", "queue": "general", "priority": 60 }
    },
    {
      "id": "clean",
      "description": "Every required check ran and none found anything.",
      "when": { "clean": {} },
      "then": { "action": "publish" }
    },
    {
      "id": "suggestive",
      "description": "Suggestive but allowed: only sexual signals in the suggestive band.",
      "when": { "all": [
        { "clean": { "except": ["nsfw/sexy", "nsfw/hentai", "contentsafety.text/sexual", "contentsafety.image/sexual", "openai/sexual"] } },
        { "not": { "signal": { "source": "nsfw", "category": "hentai", "min": 0.7 } } },
        { "not": { "signal": { "source": "contentsafety.text", "category": "sexual", "minSeverity": 4 } } },
        { "not": { "signal": { "source": "contentsafety.image", "category": "sexual", "minSeverity": 4 } } },
        { "not": { "signal": { "source": "openai", "category": "sexual", "min": 0.8 } } }
      ] },
      "then": { "action": "publish-sensitive", "contentWarning": "Suggestive" }
    },
    {
      "id": "likely-violating",
      "description": "Explicit NSFW scores or Content Safety's medium band: a person decides soon.",
      "when": { "any": [
        { "signal": { "source": "nsfw", "category": "porn", "min": 0.7 } },
        { "signal": { "source": "nsfw", "category": "hentai", "min": 0.7 } },
        { "signal": { "source": "contentsafety.text", "category": "hate", "minSeverity": 4 } },
        { "signal": { "source": "contentsafety.text", "category": "self-harm", "minSeverity": 4 } },
        { "signal": { "source": "contentsafety.text", "category": "sexual", "minSeverity": 4 } },
        { "signal": { "source": "contentsafety.text", "category": "violence", "minSeverity": 4 } },
        { "signal": { "source": "contentsafety.image", "category": "hate", "minSeverity": 4 } },
        { "signal": { "source": "contentsafety.image", "category": "self-harm", "minSeverity": 4 } },
        { "signal": { "source": "contentsafety.image", "category": "sexual", "minSeverity": 4 } },
        { "signal": { "source": "contentsafety.image", "category": "violence", "minSeverity": 4 } }
      ] },
      "then": { "action": "hold", "queue": "general", "priority": 70 }
    }
  ],
  "default": { "action": "hold", "queue": "general", "priority": 50 }
}
$policy$::jsonb, 'The shipped default: publish what every check passed, blur what is only suggestive, reject bank matches and the highest severities, hold the rest.',
    'system:migration', 'system:migration', now());
