using AiSocial.Export.Datasets;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Posts;
using AiSocial.Ingest.Social;
using AiSocial.Moderation.HashBanks;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using Npgsql;

namespace AiSocial.Cli.Demo;

/// <summary>
/// Demo data that shows every path once: posts the policy publishes, posts of a reported account waiting in the review
/// queue (one approved there), one rejected by a hash bank, an author who consents to training and one who does not, and the <c>demo</c> dataset. Idempotent: a demo post
/// is known by its author and its fixed image (Idempotency-Keys are purged after a day, and a newer version of the
/// platform fingerprints requests differently), consent is only recorded when it differs, and so on.
/// </summary>
public sealed class DemoSeed(
    MigrationRunner migrations,
    AccountRegistry accounts,
    ConsentLedger consent,
    PostSubmissions submissions,
    HashBank hashBank,
    PostScanner scanner,
    ReviewQueue reviewQueue,
    UserReports reports,
    DatasetSpecs datasets,
    NpgsqlDataSource dataSource)
{
    public const string DatasetName = "demo";
    public const string TermsVersion = "2026-11";

    /// <summary>The demo dataset's full spec: every column, the usual splits, no schedule (run it with <c>./aisocial export run --dataset demo</c>).</summary>
    public static readonly DatasetSpec DemoDataset = new()
    {
        Name = DatasetName,
        Description = "Demo: published, approved posts whose authors consent to AI training.",
        Purpose = ConsentPurposes.AiTraining,
        License = "CC-BY-4.0",
        Filters = new DatasetFilters { Tags = [], IncludeSensitive = false, MinLabelConfidence = 0 },
        Columns = null,
        Splits = new DatasetSplits { Train = 0.8, Validation = 0.1, Test = 0.1 },
        ShardSizeMb = 500,
        RowGroupMb = DatasetSpec.DefaultRowGroupMb,
        Schedule = null,
    };

    private sealed record DemoPost(int Seed, string Author, string Prompt, string? Caption, DemoOutcome Outcome);

    private enum DemoOutcome { Publish, Review, KnownBad }

    private static readonly DemoPost[] Posts =
    [
        new(101, "demo_user", "a lighthouse at dusk, watercolor, soft light", "First try with watercolor", DemoOutcome.Publish),
        new(102, "demo_user", "isometric tiny city on a floating island, pastel palette", null, DemoOutcome.Publish),
        new(103, "demo_user", "macro photo of dew on a spider web, morning fog", "Morning walk", DemoOutcome.Publish),
        new(104, "demo_user", "retro synthwave sunset over a desert highway", null, DemoOutcome.Publish),
        new(105, "demo_user", "abstract shapes test image", "This one matches the demo hash bank", DemoOutcome.KnownBad),
        new(201, "demo_creator", "portrait of a fox in a tweed jacket, oil painting", "From my fox series", DemoOutcome.Publish),
        new(202, "demo_creator", "bioluminescent forest at night, ultra detailed", null, DemoOutcome.Review),
    ];

    public async Task<IReadOnlyList<DemoAccount>> RunAsync(string credentialsPath, TextWriter log, CancellationToken cancellationToken)
    {
        await migrations.ApplyAsync(cancellationToken);
        var credentials = await DemoCredentials.LoadOrCreateAsync(credentialsPath, cancellationToken);
        var ids = new Dictionary<string, Guid>();
        foreach (var demo in credentials)
        {
            // The demo's own inputs are valid: a refusal here is a bug, and Value throws with its reason.
            var account = await accounts.FindByHandleAsync(demo.Handle, cancellationToken)
                ?? (await accounts.RegisterAsync(new NewAccount(demo.Handle, demo.DisplayName, demo.Password, 1990), [demo.Role], cancellationToken)).Value;
            if (await accounts.GrantRolesAsync(Actor.System("seed"), account.Id, [demo.Role], cancellationToken) is { } ungranted)
            {
                throw new InvalidOperationException($"The demo role of {demo.Handle} was refused: {ungranted.Detail}");
            }

            // Setting a password ends the account's sessions: only when it is not the kept one already.
            if (await accounts.VerifyPasswordAsync(demo.Handle, demo.Password, cancellationToken) is null
                && await accounts.SetPasswordAsync(account.Id, demo.Password, cancellationToken) is { } refused)
            {
                throw new InvalidOperationException($"The demo password of {demo.Handle} was refused: {refused.Detail}");
            }

            ids[demo.Handle] = account.Id;
        }

        // demo_user lets their posts be used for training; demo_creator never answered, so theirs are excluded.
        var current = await consent.CurrentAsync(ids["demo_user"], cancellationToken);
        if (!current.Any(e => e.Purpose == ConsentPurposes.AiTraining && e.Granted))
        {
            _ = (await consent.RecordAsync(new Actor(ids["demo_user"], "demo_user"), ids["demo_user"],
                new ConsentChange(ConsentPurposes.AiTraining, true, TermsVersion), ConsentSource.Import, cancellationToken)).Value;
        }

        var seedActor = Actor.System("seed");
        foreach (var post in Posts.Where(p => p.Outcome == DemoOutcome.KnownBad))
        {
            _ = (await hashBank.AddAsync(seedActor, "demo-known-bad", Sha256(DemoImages.Render(post.Seed)), "demo: shows a hash-bank rejection",
                cancellationToken)).Value;
        }

        var postIds = new Dictionary<int, (Guid Id, DemoPost Demo)>();
        foreach (var post in Posts)
        {
            var bytes = DemoImages.Render(post.Seed);
            if (await SeededPostAsync(ids[post.Author], Sha256(bytes), cancellationToken) is { } seeded)
            {
                postIds[post.Seed] = (seeded, post);
                continue;
            }

            await using var image = new MemoryStream(bytes);
            var submitted = await submissions.SubmitAsync(ids[post.Author], $"demo-{post.Seed}", new PostDraft(post.Prompt, post.Caption), image, cancellationToken);
            postIds[post.Seed] = (submitted.Value.Post.Id, post);
        }

        // demo_user reports demo_creator, so the default policy holds demo_creator's posts for a person (rule "reported").
        _ = (await reports.FileAsync(ids["demo_user"], new ReportDraft("account", "demo_creator", "spam", "demo: shows a reported account's posts held"),
            cancellationToken)).Value;
        await scanner.ScanUntilIdleAsync(cancellationToken);

        var moderator = new Actor(ids["demo_moderator"], "demo_moderator");
        var toPublish = postIds.Values.Where(p => p.Demo.Outcome == DemoOutcome.Publish).Select(p => p.Id).ToHashSet();
        var open = await reviewQueue.ListOpenAsync(0, 100, cancellationToken);
        foreach (var task in open.Items.Where(t => toPublish.Contains(t.Post.Id)))
        {
            _ = (await reviewQueue.DecideAsync(task.TaskId, moderator, ReviewDecision.Approve, shownBlurred: false, "demo seed", cancellationToken)).Value;
        }

        if (await datasets.FindAsync(DatasetName, cancellationToken) is null)
        {
            _ = (await datasets.CreateAsync(Actor.CommandLine(), DemoDataset, cancellationToken)).Value;
        }
        log.WriteLine($"Demo data ready: {credentials.Count} accounts, {Posts.Length} posts, dataset '{DatasetName}'.");
        return credentials;
    }

    /// <summary>The post an earlier seed made of this image by this author, if any.</summary>
    private async Task<Guid?> SeededPostAsync(Guid authorId, string uploadSha256, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select id from ingest.posts where author_id = $1 and upload_sha256 = $2 and deleted_at is null order by created_at limit 1");
        command.Parameters.Add(new() { Value = authorId });
        command.Parameters.Add(new() { Value = uploadSha256 });
        return await command.ExecuteScalarAsync(cancellationToken) as Guid?;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
}
