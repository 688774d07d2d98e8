using System.Text.Json;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;

namespace AiSocial.Moderation.Tests.TextClassifier;

/// <summary>A post to seed: its texts and whether the reviewer takes it down.</summary>
public sealed record LabelledPost(string Prompt, string? Caption, string? Ocr, bool Unsafe);

/// <summary>
/// Synthetic but varied posts, and the real path that labels them: submit, scan (which queues each for review), and a
/// moderator's decision through the review queue.
/// </summary>
public static class LabelledPosts
{
    private static readonly string[] Styles =
        ["oil painting of", "photo of", "anime drawing of", "watercolour of", "3D render of", "charcoal sketch of", "Ölgemälde von"];

    private static readonly string[] Subjects =
        ["a kitten", "an old sailor", "a mountain lake", "a robot", "a castle", "two dancers", "a busy market", "a bowl of fruit", "a girl"];

    private static readonly string[] UnsafeClauses =
    [
        "covered in blood and gore", "with a decapitated body", "fully nude, explicit sex", "naked and aroused",
        "torturing a prisoner", "after a massacre, corpses everywhere", "stabbing someone with a knife", "cadáver ensangrentado",
        "nackt und pornografisch", "SCÈNE ÉROTIQUE très explicite", "Blutbad mit Leichen", "BLOOD AND GORE", "mutilated and dismembered",
    ];

    private static readonly string[] SafeClauses =
    [
        "at golden hour", "in soft morning light", "with pastel colours", "surrounded by flowers", "in the rain",
        "with a café crème on the table", "near a château enneigé", "in einer Straße im Regen", "in a naïve style",
        "under a starry sky", "with a smiling child", "HIGHLY DETAILED, 8K", "im Schnee vor dem Rathaus",
    ];

    private static readonly string[] SafeOcr = ["Happy birthday", "SALE 50% OFF", "Bon appétit", "Welcome home"];

    private static readonly string[] UnsafeOcr = ["kill them all", "send nudes", "blood for the gods"];

    /// <summary>Deterministic posts: <paramref name="count"/> of them, alternating unsafe and safe, starting at <paramref name="offset"/>.</summary>
    public static IReadOnlyList<LabelledPost> Generate(int count, int offset = 0) =>
        [.. Enumerable.Range(offset, count).Select(i =>
        {
            var isUnsafe = i % 2 == 0;
            var k = i / 2;
            var style = Styles[k % Styles.Length];
            var subject = Subjects[(k / Styles.Length + k) % Subjects.Length];
            var clause = isUnsafe ? UnsafeClauses[(k * 5) % UnsafeClauses.Length] : SafeClauses[(k * 5) % SafeClauses.Length];
            var caption = k % 3 == 0 ? $"my new piece #{k}" : null;
            var ocr = k % 4 == 1 ? (isUnsafe ? UnsafeOcr : SafeOcr)[k % (isUnsafe ? UnsafeOcr.Length : SafeOcr.Length)] : null;
            return new LabelledPost($"{style} {subject} {clause}", caption, ocr, isUnsafe);
        })];

    /// <summary>Submits, scans and decides each post; stores OCR text as an "ocr" signal. Returns the posts' ids.</summary>
    public static async Task<IReadOnlyList<Guid>> SeedAsync(DatabaseFixture platform, IReadOnlyList<LabelledPost> posts, Actor moderator)
    {
        var author = await platform.CreateAccountAsync();
        var submissions = platform.Get<PostSubmissions>();
        var ids = new Guid[posts.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 4 };
        await Parallel.ForEachAsync(Enumerable.Range(0, posts.Count), parallel, async (i, ct) =>
        {
            await using var image = new MemoryStream(TestImages.Png(16, 16, seed: i % 7));
            var draft = new PostDraft(posts[i].Prompt, posts[i].Caption);
            ids[i] = (await submissions.SubmitAsync(author.Id, Guid.NewGuid().ToString(), draft, image, ct)).Value.Post.Id;
        });

        // Labels come from reviewers, so every post goes to one.
        await platform.HoldEveryPostAsync();
        await platform.Get<PostScanner>().ScanUntilIdleAsync(default);
        var queue = platform.Get<ReviewQueue>();
        await Parallel.ForEachAsync(Enumerable.Range(0, posts.Count), parallel, async (i, ct) =>
        {
            if (posts[i].Ocr is { } ocr)
            {
                await platform.ExecuteAsync(
                    "insert into moderation.signals (post_id, source, model_version, category, score, detail) values ($1, 'ocr', 'test', 'text', 0, $2::jsonb)",
                    ids[i], JsonSerializer.Serialize(new { text = ocr }));
            }

            var task = await platform.ScalarAsync<Guid>("select id from moderation.review_tasks where post_id = $1 and state = 'open'", ids[i]);
            _ = (await queue.DecideAsync(task, moderator, posts[i].Unsafe ? ReviewDecision.Remove : ReviewDecision.Approve, shownBlurred: true, null, ct)).Value;
        });

        return ids;
    }
}
