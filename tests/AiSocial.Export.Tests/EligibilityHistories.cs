using AiSocial.Export.Runs;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Creators;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Review;

namespace AiSocial.Export.Tests;

/// <summary>
/// Random histories for the eligibility property tests: terms changes, grants and withdrawals, authors suspended,
/// erased or under age, opt-outs added, verified and removed, and posts in every state with every incoming signal.
/// Each post remembers the truth the generator put into it (which phrases its texts carry, how far its image is from
/// each work), so <see cref="Oracle"/> never has to parse what it checks.
/// </summary>
internal sealed record EligibilityHistory
{
    public static readonly string[] Phrases = ["ada lumen", "zoë çelik", "greta vonnegut", "ink wash nebula", "paper lantern glitch", "kenji moriyama"];

    private static readonly string[] Filler = ["a", "lighthouse", "at", "dusk", "over", "the", "harbour", "portrait", "of", "cat", "with", "soft", "light", "city", "rain", "neon"];

    private static readonly string[] DataMiningValues =
    [
        "DMI-ALLOWED", "DMI-UNSPECIFIED", "http://ns.useplus.org/ldf/vocab/DMI-ALLOWED", "http://ns.useplus.org/ldf/vocab/DMI-UNSPECIFIED",
        "DMI-PROHIBITED-AIMLTRAINING", "DMI-PROHIBITED-GENAIMLTRAINING", "DMI-PROHIBITED", "DMI-PROHIBITED-SEECONSTRAINT",
        "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
    ];

    private static readonly string[] Uses = ["allowed", "notAllowed", "constrained"];

    public static readonly string[] Purposes = [ConsentPurposes.AiTraining, ConsentPurposes.AiGenerativeTraining];

    public required DateTimeOffset SnapshotAt { get; init; }

    public required DatasetPurpose Dataset { get; init; }

    public required List<TermsVersion> Terms { get; init; }

    public required List<GeneratedAuthor> Authors { get; init; }

    public required List<GeneratedOptOut> OptOuts { get; init; }

    public required List<GeneratedPost> Posts { get; init; }

    public EligibilitySnapshot Snapshot() => new(SnapshotAt, Terms,
        Authors.Select(a => new AuthorStanding(a.Id, a.BirthYear, a.SuspendedAt, a.ErasedAt, a.Consent)),
        OptOuts.Select(o => new OptOutRule(o.Id, o.OwnerId, o.Kind, o.Phrase is null ? null : CreatorNames.Normalize(o.Phrase),
            o.Works, o.Verified, o.VerifiedAt, o.RemovedAt)));

    public static EligibilityHistory Generate(Random random, ref long nextEventId, HistoryShape? shape = null)
    {
        var pool = shape?.MediaPool;
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        DateTimeOffset At(double maxDays) => start.AddMinutes(random.Next(0, (int)(maxDays * 24 * 60)));
        // A database run wants most of its posts made by the snapshot.
        var snapshotAt = pool is null ? At(400) : start.AddDays(360).AddMinutes(random.Next(0, 40 * 24 * 60));
        // Some histories are mostly in order, so that the later rules are reached too; others are mostly trouble.
        var noise = new[] { 0.03, 0.1, 0.4 }[random.Next(3)];
        bool Bad(double scale = 1) => random.NextDouble() < noise * scale;

        var terms = new List<TermsVersion> { Published(shape?.FirstTerms ?? "2026-11", start) };
        for (var i = random.Next(0, 3); i > 0; i--)
        {
            // Effective dates are unique (as in ingest.terms_versions).
            var effective = At(450).AddSeconds(1);
            if (terms.All(t => t.EffectiveAt != effective))
            {
                terms.Add(Published($"terms-{terms.Count}", effective));
            }
        }

        var authors = new List<GeneratedAuthor>();
        for (var a = shape?.Authors ?? random.Next(1, 5); a > 0; a--)
        {
            var consent = new List<ConsentRecord>();
            if (!Bad())
            {
                consent.Add(new ConsentRecord(nextEventId++, ConsentPurposes.AiTraining, true, terms[0].Version, start.AddMinutes(random.Next(0, 60))));
                consent.Add(new ConsentRecord(nextEventId++, ConsentPurposes.AiGenerativeTraining, true, terms[0].Version, start.AddMinutes(random.Next(60, 120))));
            }

            var times = Enumerable.Range(0, random.Next(0, Bad(2) ? 6 : 2)).Select(_ => At(450)).Order().ToList();
            foreach (var time in times)
            {
                // The database refuses versions never published (events from before terms were stored are the only ones).
                var version = random.Next(10) == 0 && pool is null ? "never-published" : terms[random.Next(terms.Count)].Version;
                consent.Add(new ConsentRecord(nextEventId++, Purposes[random.Next(2)], random.Next(3) > 0, version, time));
            }

            authors.Add(new GeneratedAuthor(Guid.NewGuid(),
                // A database run moves the history in time by less than a year, so it keeps clear of the 18th birthday.
                Bad() ? snapshotAt.Year - (pool is null ? random.Next(13, 21) : random.Next(13, 16)) : random.Next(1940, pool is null ? 2000 : 1990),
                Bad(0.5) ? At(450) : null,
                Bad(0.5) ? At(450) : null,
                consent));
        }

        var optOuts = new List<GeneratedOptOut>();
        for (var o = shape?.OptOuts ?? random.Next(0, 4); o > 0; o--)
        {
            // A database run has every kind, most of them verified before its snapshot.
            var kind = new[] { OptOutKinds.Name, OptOutKinds.Alias, OptOutKinds.Style, OptOutKinds.Work }[pool is null ? random.Next(4) : o % 4];
            var works = kind == OptOutKinds.Work ? Enumerable.Range(0, 8).Select(_ => RandomHash(random)).ToList() : [];
            if (works.Count > 0 && pool is not null)
            {
                // A work registered from one of the stored images, rotated or flipped: one of its variants is near it, or nearly.
                works[random.Next(8)] = Flip(random, pool[o % pool.Count], new[] { 0, 17, 31, 32, 60 }[o % 5]);
            }

            var verified = pool is null ? random.Next(3) > 0 : o > 2 || random.Next(2) == 0;
            // Now and then a creator who also posts: their own opt-outs do not keep their own posts out.
            var owner = random.Next(5) == 0 && pool is null ? authors[random.Next(authors.Count)].Id : Guid.NewGuid();
            optOuts.Add(new GeneratedOptOut(Guid.NewGuid(), owner, kind, kind == OptOutKinds.Work ? null : Phrases[pool is null ? random.Next(Phrases.Length) : o % Phrases.Length], works,
                verified, verified ? At(pool is null ? 450 : 340) : null,
                (pool is null || o <= 2) && random.Next(4) == 0 ? At(450) : null));
        }

        var posts = new List<GeneratedPost>();
        for (var p = shape?.Posts ?? random.Next(1, 7); p > 0; p--)
        {
            var status = Bad() ? (PostStatus)random.Next(4) : PostStatus.Published;
            LabelDecision? label = status switch
            {
                PostStatus.Published => Bad() ? new LabelDecision?[] { null, LabelDecision.Remove, LabelDecision.Reject }[random.Next(3)] : LabelDecision.Approve,
                PostStatus.Removed => LabelDecision.Remove,
                PostStatus.Rejected => LabelDecision.Reject,
                _ => null,
            };

            // Texts: filler words, and now and then a creator's phrase written as people write it.
            var carried = new HashSet<string>();
            var texts = new List<string?>();
            for (var t = 0; t < 5; t++)
            {
                if (random.Next(5) == 0)
                {
                    texts.Add(null);
                    continue;
                }

                var words = Enumerable.Range(0, random.Next(0, 6)).Select(_ => Filler[random.Next(Filler.Length)]).ToList();
                if (random.Next(6) == 0)
                {
                    var phrase = Phrases[random.Next(Phrases.Length)];
                    carried.Add(phrase);
                    words.Insert(random.Next(words.Count + 1), Variant(random, phrase));
                }

                texts.Add(string.Join(random.Next(2) == 0 ? " " : "  ", words));
            }

            var mediaIndex = pool is null ? -1 : random.Next(pool.Count);
            var pdq = pool is null ? RandomHash(random) : pool[mediaIndex];
            var workOptOuts = optOuts.Where(o => o.Kind == OptOutKinds.Work).ToList();
            if (pool is null && workOptOuts.Count > 0 && random.Next(3) == 0)
            {
                var work = workOptOuts[random.Next(workOptOuts.Count)];
                pdq = Flip(random, work.Works[random.Next(8)], new[] { 0, 3, 17, 30, 31, 32, 33, 60 }[random.Next(8)]);
            }

            IReadOnlyDictionary<string, string>? mining = random.Next(3) == 0
                ? new[] { ConsentPurposes.AiTraining, ConsentPurposes.AiGenerativeTraining, ConsentPurposes.DataMining }
                    .Where(_ => random.Next(2) == 0).ToDictionary(purpose => purpose, _ => Uses[random.Next(random.Next(2) == 0 ? 1 : 3)])
                : null;
            var signals = random.Next(4) == 0
                ? null
                : new IncomingSignals(!Bad(0.5), random.Next(2) == 0 ? null : DataMiningValues[random.Next(Bad() ? DataMiningValues.Length : 4)], Bad(2) ? mining : null);

            var author = authors[random.Next(authors.Count)];
            posts.Add(new GeneratedPost(
                new EligibilityCandidate(Guid.NewGuid(), Bad(0.2) && pool is null ? Guid.NewGuid() : author.Id, status, label, At(400))
                {
                    DeletedAt = Bad() ? At(450) : null,
                    Sensitive = Bad(),
                    AllowTraining = Bad() ? false : null,
                    OpenReports = Bad(0.5) ? random.Next(1, 3) : 0,
                    Texts = texts!,
                    Pdq = Bad(0.2) && pool is null ? null : pdq,
                    Signals = signals,
                    MediaPresent = pool is not null || !Bad(0.5),
                },
                carried, pdq)
            { MediaIndex = mediaIndex });
        }

        return new EligibilityHistory
        {
            SnapshotAt = snapshotAt,
            Dataset = new DatasetPurpose(Purposes[random.Next(2)], random.Next(2) == 0),
            Terms = terms,
            Authors = authors,
            OptOuts = optOuts,
            Posts = posts.Where(p => p.Candidate.CreatedAt <= snapshotAt).ToList(),
        };
    }

    public static TermsVersion Published(string version, DateTimeOffset effectiveAt) => new(version, effectiveAt, "terms", effectiveAt);

    /// <summary>How people write a name: its case, spacing and diacritics vary, punctuation may cling to it.</summary>
    private static string Variant(Random random, string phrase)
    {
        var text = random.Next(4) switch
        {
            0 => phrase.ToUpperInvariant(),
            1 => string.Join(' ', phrase.Split(' ').Select(w => char.ToUpperInvariant(w[0]) + w[1..])),
            2 => phrase.Replace("ë", "e").Replace("ç", "c"),
            _ => phrase,
        };
        return random.Next(3) == 0 ? text.Replace(" ", "   ") + "," : text;
    }

    public static byte[] RandomHash(Random random)
    {
        var bytes = new byte[32];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Flip(Random random, byte[] hash, int bits)
    {
        var copy = (byte[])hash.Clone();
        foreach (var bit in Enumerable.Range(0, 256).OrderBy(_ => random.Next()).Take(bits))
        {
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        return copy;
    }
}

internal sealed record GeneratedAuthor(Guid Id, int BirthYear, DateTimeOffset? SuspendedAt, DateTimeOffset? ErasedAt, List<ConsentRecord> Consent);

internal sealed record GeneratedOptOut(Guid Id, Guid OwnerId, string Kind, string? Phrase, List<byte[]> Works, bool Verified, DateTimeOffset? VerifiedAt, DateTimeOffset? RemovedAt);

/// <summary>A generated post and what the generator knows about it: the creator phrases its texts carry, its image's hash bytes.</summary>
internal sealed record GeneratedPost(EligibilityCandidate Candidate, HashSet<string> CarriedPhrases, byte[] PdqBytes)
{
    /// <summary>Which image of <see cref="HistoryShape.MediaPool"/> the post shows; -1 without a pool.</summary>
    public int MediaIndex { get; init; } = -1;
}

/// <summary>
/// A larger history for one database run: so many authors, posts and opt-outs, every post showing one of the stored
/// images whose PDQ hashes are <see cref="MediaPool"/>, and the first terms version named so as not to clash with the
/// one the database is seeded with.
/// </summary>
internal sealed record HistoryShape(int Authors, int Posts, int OptOuts, IReadOnlyList<byte[]> MediaPool, string FirstTerms);

/// <summary>
/// The rules of issue 11 written out plainly, independently of <see cref="Eligibility"/>: replays each ledger in order,
/// counts differing bits one by one, and reads the truth the generator recorded. Gives every reason that applies, in
/// the documented order, and the consent event in force.
/// </summary>
internal static class Oracle
{
    public static (List<string> Reasons, long? InForce) Judge(EligibilityHistory history, GeneratedPost generated)
    {
        var post = generated.Candidate;
        var at = history.SnapshotAt;
        var reasons = new List<string>();
        var author = history.Authors.FirstOrDefault(a => a.Id == post.AuthorId);

        if (author is null || (author.ErasedAt is { } erased && erased <= at))
        {
            reasons.Add("author_erased");
        }

        if (author?.SuspendedAt is { } suspended && suspended <= at)
        {
            reasons.Add("author_suspended");
        }

        // Someone born in year B is surely 18 only from 1 January of B + 19; the post must be made after that.
        if (author is not null && post.CreatedAt < new DateTimeOffset(author.BirthYear + 19, 1, 1, 0, 0, 0, TimeSpan.Zero))
        {
            reasons.Add("author_minor");
        }

        if (post.DeletedAt is { } deleted && deleted <= at)
        {
            reasons.Add("deleted");
        }

        var approvedAndPublished = post.Status == PostStatus.Published && post.Label == LabelDecision.Approve;
        var takenDown = post.Status == PostStatus.Removed || (post.Status == PostStatus.Published && post.Label is LabelDecision.Remove or LabelDecision.Reject);
        if (!approvedAndPublished && !takenDown)
        {
            reasons.Add("not_published");
        }

        if (takenDown)
        {
            reasons.Add("removed");
        }

        if (post.Sensitive && !history.Dataset.AllowSensitive)
        {
            reasons.Add("sensitive_not_allowed");
        }

        if (post.OpenReports > 0)
        {
            reasons.Add("open_reports");
        }

        ConsentRecord? inForce = null;
        foreach (var consent in (author?.Consent ?? []).OrderBy(c => c.Id))
        {
            if (consent.Purpose == history.Dataset.Purpose && consent.OccurredAt <= at)
            {
                inForce = consent;
            }
        }

        if (inForce is null)
        {
            reasons.Add("consent_missing");
        }
        else if (!inForce.Granted)
        {
            reasons.Add("consent_withdrawn");
        }
        else
        {
            // Terms in effect by the snapshot, oldest first; a grant under a version never published predates them all.
            var inEffect = history.Terms.Where(t => t.EffectiveAt <= at).OrderBy(t => t.EffectiveAt).ToList();
            var acceptedIndex = inEffect.FindIndex(t => t.Version == inForce.TermsVersion);
            var acceptedPublished = history.Terms.Any(t => t.Version == inForce.TermsVersion);
            TermsVersion? next = !acceptedPublished ? inEffect.FirstOrDefault()
                : acceptedIndex < 0 ? null // accepted terms not yet in effect: nothing newer is either
                : acceptedIndex + 1 < inEffect.Count ? inEffect[acceptedIndex + 1] : null;
            if (next is not null && post.CreatedAt >= next.EffectiveAt)
            {
                reasons.Add("terms_not_accepted");
            }
        }

        if (post.AllowTraining == false)
        {
            reasons.Add("post_setting");
        }

        var enforced = history.OptOuts.Where(o => o.Verified && o.VerifiedAt <= at && (o.RemovedAt is null || o.RemovedAt > at) && o.OwnerId != post.AuthorId).ToList();
        if (enforced.Any(o => o.Kind is "name" or "alias" && generated.CarriedPhrases.Contains(o.Phrase!)))
        {
            reasons.Add("creator_optout_name");
        }

        if (enforced.Any(o => o.Kind == "style" && generated.CarriedPhrases.Contains(o.Phrase!)))
        {
            reasons.Add("creator_optout_style");
        }

        if (enforced.Any(o => o.Kind == "work" && (post.Pdq is null || o.Works.Any(w => BitsApart(w, generated.PdqBytes) <= 31))))
        {
            reasons.Add("creator_optout_work");
        }

        if (post.Signals is { } signals)
        {
            var mining = signals.DataMining;
            var miningOk = mining is null || mining is "DMI-ALLOWED" or "DMI-UNSPECIFIED"
                || mining == "http://ns.useplus.org/ldf/vocab/DMI-ALLOWED" || mining == "http://ns.useplus.org/ldf/vocab/DMI-UNSPECIFIED";
            var relevant = history.Dataset.Purpose == ConsentPurposes.AiGenerativeTraining
                ? new[] { "cawg.ai_generative_training", "cawg.ai_training" }
                : new[] { "cawg.ai_training" };
            var entriesOk = signals.TrainingMining is null || relevant.All(p => !signals.TrainingMining.ContainsKey(p) || signals.TrainingMining[p] == "allowed");
            if (!miningOk || !entriesOk)
            {
                reasons.Add("incoming_signal");
            }

            if (!signals.Readable)
            {
                reasons.Add("incoming_signal_unreadable");
            }
        }

        if (!post.MediaPresent)
        {
            reasons.Add("media_missing");
        }

        return (reasons, reasons.Count == 0 ? inForce!.Id : null);
    }

    private static int BitsApart(byte[] a, byte[] b)
    {
        var count = 0;
        for (var i = 0; i < 256; i++)
        {
            if (((a[i / 8] >> (i % 8)) & 1) != ((b[i / 8] >> (i % 8)) & 1))
            {
                count++;
            }
        }

        return count;
    }
}
