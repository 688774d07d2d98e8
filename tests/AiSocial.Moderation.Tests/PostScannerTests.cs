using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.HashBanks;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;

namespace AiSocial.Moderation.Tests;

public sealed class PostScannerTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private PostScanner Scanner => platform.Get<PostScanner>();

    /// <summary>Images the NSFW model finds nothing in (noise sometimes looks like skin to it; these seeds do not).</summary>
    internal static byte[] CleanImage(int i) => TestImages.Png(seed: 7000 + i);

    private Task<ScanReport> ScanAllAsync() => Scanner.ScanUntilIdleAsync(default);

    [Fact]
    public async Task A_post_every_check_passes_is_published_by_the_policy_without_a_person()
    {
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, CleanImage(0));

        var report = await ScanAllAsync();

        Assert.Equal(1, report.Published);
        var signal = Assert.Single((await platform.Get<SignalStore>().ForPostsAsync([post.Id], default))[post.Id], s => s.Source == HashBankCheck.SourceName);
        Assert.Equal((HashBankCheck.SourceName, HashBankCheck.MatchCategory, 0.0), (signal.Source, signal.Category, signal.Score));
        var published = (await platform.Get<PostStore>().GetAsync(post.Id, default))!;
        Assert.Equal(PostStatus.Published, published.Status);
        Assert.False(published.Sensitive);
        var label = Assert.Single(await platform.Get<LabelStore>().ForPostAsync(post.Id, default));
        Assert.Equal((LabelSource.Policy, LabelDecision.Approve, "v1"), (label.Source, label.Decision, label.PolicyVersion));
        Assert.Equal("live publish clean 1", await platform.ScalarAsync<string>(
            "select mode || ' ' || action || ' ' || rule_id || ' ' || policy_version from moderation.decisions where post_id = $1", post.Id));
        // The clean rule read every graded signal: the hash banks' and the NSFW model's explicit classes at least.
        Assert.True(await platform.ScalarAsync<bool>(
            """
            select signals_read @> '[{"source": "hashbank.sha256"}, {"source": "nsfw", "category": "porn"}]'
            from moderation.decisions where post_id = $1
            """, post.Id));
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.review_tasks where post_id = $1", post.Id));
        Assert.Contains(await platform.Get<AuditLog>().ForSubjectAsync("post", post.Id.ToString(), default), e => e.Action == "policy.publish");
        Assert.True(await platform.ScalarAsync<bool>("select completed_at is not null from ingest.outbox where subject_id = $1", post.Id));
    }

    [Fact]
    public async Task A_batch_loads_its_posts_in_one_query_and_saves_each_posts_signals_in_one_command()
    {
        var author = await platform.CreateAccountAsync();
        for (var i = 0; i < 3; i++)
        {
            await platform.SubmitPostAsync(author.Id, CleanImage(i));
        }

        using var commands = new DatabaseCommands(platform.ConnectionString);
        var report = await Scanner.ScanBatchAsync(default);

        Assert.Equal((3, 3), (report.Leased, report.Published));
        Assert.Equal(1, commands.Touching("where p.id = any("));
        Assert.Equal(3, commands.Touching("insert into moderation.signals"));
    }

    [Fact]
    public async Task A_post_whose_image_is_in_a_hash_bank_is_rejected_with_a_policy_label_and_never_queued()
    {
        var image = TestImages.Png(seed: 4242);
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(image));
        await platform.Get<HashBank>().AddAsync(Actor.System("test"), "known-bad", sha256, "test entry", default);
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, image);
        // Banks hold hashes of original files; the stored file is a re-encoding with a hash of its own.
        Assert.NotEqual(sha256, post.Media.Sha256);

        await ScanAllAsync();

        Assert.Equal(PostStatus.Rejected, (await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status);
        var label = Assert.Single(await platform.Get<LabelStore>().ForPostAsync(post.Id, default));
        Assert.Equal((LabelSource.Policy, LabelDecision.Reject, (Guid?)null), (label.Source, label.Decision, label.ReviewerId));
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.review_tasks where post_id = $1", post.Id));
        Assert.Contains(await platform.Get<AuditLog>().ForSubjectAsync("post", post.Id.ToString(), default), e => e.Action == "policy.reject");
        Assert.Equal("reject bank-match", await platform.ScalarAsync<string>(
            "select action || ' ' || rule_id from moderation.decisions where post_id = $1 and mode = 'live'", post.Id));
    }

    [Fact]
    public async Task Scanners_running_at_once_scan_each_post_exactly_once()
    {
        var author = await platform.CreateAccountAsync();
        var posts = new List<Post>();
        for (var i = 0; i < 30; i++)
        {
            posts.Add(await platform.SubmitPostAsync(author.Id, CleanImage(i)));
        }

        // Separate scanner instances, as on separate nodes.
        var scanners = Enumerable.Range(0, 3).Select(_ => Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateInstance<PostScanner>(platform.Services)).ToList();
        await Task.WhenAll(scanners.Select(scanner => Task.Run(() => scanner.ScanUntilIdleAsync(default))));

        var ids = posts.Select(p => p.Id).ToArray();
        Assert.Equal(30L, await platform.ScalarAsync<long>("select count(*) from moderation.decisions where post_id = any($1) and mode = 'live'", ids));
        Assert.Equal(30L, await platform.ScalarAsync<long>("select count(*) from moderation.labels where post_id = any($1) and decision = 'approve'", ids));
        Assert.Equal(30L, await platform.ScalarAsync<long>(
            "select count(*) from ingest.outbox where subject_id = any($1) and attempts = 1 and completed_at is not null", ids));
    }

    [Fact]
    public async Task A_post_decided_before_its_scan_is_left_alone()
    {
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id);
        await platform.ExecuteAsync("update ingest.posts set status = 'removed' where id = $1", post.Id);

        await ScanAllAsync();

        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.review_tasks where post_id = $1", post.Id));
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.decisions where post_id = $1", post.Id));
        Assert.True(await platform.ScalarAsync<bool>("select completed_at is not null from ingest.outbox where subject_id = $1", post.Id));
    }
}
