using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Media;
using AiSocial.Ingest.Outbox;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Policy;
using AiSocial.Moderation.Review;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiSocial.Moderation.Scanning;

/// <summary>What a scan did: posts leased, and of them rejected, held for review, skipped, given back to retry, and published by the policy.</summary>
public sealed record ScanReport(int Leased, int Rejected, int QueuedForReview, int Skipped, int Retried, int Published = 0)
{
    public static readonly ScanReport None = new(0, 0, 0, 0, 0);

    public static ScanReport operator +(ScanReport a, ScanReport b) =>
        new(a.Leased + b.Leased, a.Rejected + b.Rejected, a.QueuedForReview + b.QueuedForReview, a.Skipped + b.Skipped, a.Retried + b.Retried,
            a.Published + b.Published);
}

/// <summary>
/// Takes a batch of submitted posts off the outbox under a lease, runs every check, stores the signals and applies
/// the active policy version (publish, publish as sensitive, hold in a queue, reject) and records its decision, and
/// any shadow version's beside it — all in one transaction per post that also completes the outbox message. A worker that dies mid-batch
/// leaves its leases to expire, and the posts are scanned again; signals are upserted, so redoing is harmless.
/// </summary>
public sealed class PostScanner(
    NpgsqlDataSource dataSource,
    OutboxQueue outbox,
    PostStore posts,
    MediaStore media,
    CheckRunner checks,
    PolicyStore policies,
    AuditLog audit,
    ModerationTelemetry telemetry,
    IOptions<ModerationOptions> options,
    ILogger<PostScanner> logger)
{
    private static readonly Actor Scanner = Actor.System("scan");
    private readonly ModerationOptions _options = options.Value;
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private int _scanning;

    public async Task<ScanReport> ScanBatchAsync(CancellationToken cancellationToken)
    {
        var batch = await outbox.LeaseAsync(OutboxTopics.PostSubmitted, _options.ScanBatchSize,
            TimeSpan.FromSeconds(_options.LeaseSeconds), _owner, cancellationToken);
        var leased = batch.Count == 0 ? new Dictionary<Guid, Post>() : await posts.GetManyAsync([.. batch.Select(m => m.SubjectId)], cancellationToken);
        int rejected = 0, review = 0, skipped = 0, retried = 0, published = 0;
        // The batch's posts are scanned side by side, up to ScanParallelism at once: each waits mostly on its own
        // model threads and its own transaction, so one slow post no longer holds up the rest of the lease.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.ScanParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(batch, parallel, async (message, token) =>
        {
            using var activity = ModerationTelemetry.Activities.StartActivity("scan post");
            activity?.SetTag("aisocial.post.id", message.SubjectId);
            var outcome = await ScanAsync(message, leased.GetValueOrDefault(message.SubjectId), token);
            activity?.SetTag("aisocial.scan.outcome", outcome.ToString().ToLowerInvariant());
            if (outcome != ScanOutcome.Skipped)
            {
                telemetry.PostsScanned.Add(1, new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()));
            }

            if (outcome == ScanOutcome.Rejected)
            {
                telemetry.PostsRejected.Add(1, new KeyValuePair<string, object?>("by", "policy"));
            }

            if (outcome == ScanOutcome.Published)
            {
                telemetry.PostsPublished.Add(1, new KeyValuePair<string, object?>("by", "policy"));
            }

            switch (outcome)
            {
                case ScanOutcome.Rejected: Interlocked.Increment(ref rejected); break;
                case ScanOutcome.Published: Interlocked.Increment(ref published); break;
                case ScanOutcome.Review: Interlocked.Increment(ref review); break;
                case ScanOutcome.Retry: Interlocked.Increment(ref retried); break;
                default: Interlocked.Increment(ref skipped); break;
            }
        });

        return new ScanReport(batch.Count, rejected, review, skipped, retried, published);
    }

    /// <summary>
    /// <see cref="ScanUntilIdleAsync"/>, unless this node is already scanning: then null at once. The scan job may run
    /// on every node at the same time (that is how more nodes scan more), but two loops on one node would only exceed
    /// its <see cref="ModerationOptions.ScanParallelism"/>.
    /// </summary>
    public async Task<ScanReport?> ScanUntilIdleUnlessBusyAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _scanning, 1) == 1)
        {
            return null;
        }

        try
        {
            return await ScanUntilIdleAsync(cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _scanning, 0);
        }
    }

    /// <summary>Scans batch after batch until none is ready. Posts given back to retry wait out their delay, so this ends.</summary>
    public async Task<ScanReport> ScanUntilIdleAsync(CancellationToken cancellationToken)
    {
        var total = ScanReport.None;
        ScanReport batch;
        do
        {
            batch = await ScanBatchAsync(cancellationToken);
            total += batch;
        }
        while (batch.Leased > 0 && !cancellationToken.IsCancellationRequested);

        return total;
    }

    private enum ScanOutcome { Skipped, Rejected, Review, Retry, Published }

    private async Task<ScanOutcome> ScanAsync(OutboxMessage message, Post? post, CancellationToken cancellationToken)
    {
        if (post is null || post.Status != PostStatus.Pending)
        {
            await CompleteAloneAsync(message, cancellationToken);
            return ScanOutcome.Skipped;
        }

        var results = await RunChecksAsync(post, cancellationToken);
        foreach (var result in results)
        {
            telemetry.CheckDuration.Record(result.Duration.TotalSeconds,
                new KeyValuePair<string, object?>("check", result.Check.Source), new KeyValuePair<string, object?>("available", result.Available));
        }

        // Only a required live check can hold a post; an optional or shadow one that failed is decided without.
        var unavailable = results.Where(r => !r.Available && r.Required).Select(r => r.Check.Source).ToList();
        if (unavailable.Count > 0 && message.Attempts < _options.MaxCheckAttempts)
        {
            var delay = TimeSpan.FromSeconds(Math.Min(600, 10 * Math.Pow(2, message.Attempts - 1)));
            var reasons = string.Join("; ", results.Where(r => !r.Available).Select(r => $"{r.Check.Source}: {r.UnavailableReason}"));
            logger.LogWarning("Post {PostId}: required checks unavailable ({Reasons}); retrying in {Delay}", post.Id, reasons, delay);
            await outbox.RetryLaterAsync(message, delay, reasons, cancellationToken);
            return ScanOutcome.Retry;
        }

        var liveSignals = results.Where(r => !r.Shadow).SelectMany(r => r.Signals).ToList();
        var shadowSignals = results.Where(r => r.Shadow).SelectMany(r => r.Signals).ToList();
        var (active, shadowPolicy) = await policies.LiveAsync(cancellationToken);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // A post whose author is gone has no facts; an unknown age errs young, so nothing is published as sensitive.
        var facts = await DecisionRecorder.LoadFactsAsync(connection, post.Id, cancellationToken) ?? new PostFacts(0, 0, 0, 0);
        var input = new PolicyInput(liveSignals, unavailable, facts);
        var decision = PolicyEngine.Evaluate(active.Version, active.Document, input);
        await SignalStore.SaveAsync(connection, post.Id, liveSignals, shadow: false, cancellationToken);
        await SignalStore.SaveAsync(connection, post.Id, shadowSignals, shadow: true, cancellationToken);
        var decisionId = await DecisionRecorder.RecordAsync(connection, post.Id, decision, DecisionMode.Live, facts, unavailable, null, cancellationToken);
        if (shadowPolicy is not null)
        {
            var shadowDecision = PolicyEngine.Evaluate(shadowPolicy.Version, shadowPolicy.Document, input);
            await DecisionRecorder.RecordAsync(connection, post.Id, shadowDecision, DecisionMode.Shadow, facts, unavailable, decisionId, cancellationToken);
        }

        var outcome = await ApplyAsync(connection, post.Id, decision, decisionId, cancellationToken);
        if (!await OutboxQueue.CompleteAsync(connection, message, cancellationToken))
        {
            // The lease expired and another worker owns this post now; let it finish the job.
            await transaction.RollbackAsync(cancellationToken);
            logger.LogWarning("Post {PostId}: lease lost before commit; leaving it to the new owner", post.Id);
            return ScanOutcome.Skipped;
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Post {PostId}: {Action} by {Version} rule {Rule} ({Reason})", post.Id, decision.Action.ToName(), decision.VersionLabel,
            decision.RuleId, decision.Reason);
        return outcome;
    }

    /// <summary>Carries out the live decision on the scan's transaction. A post no longer pending (deleted, decided) is left as it is.</summary>
    private async Task<ScanOutcome> ApplyAsync(NpgsqlConnection connection, Guid postId, PolicyDecision decision, long decisionId,
        CancellationToken cancellationToken)
    {
        var detail = new { policyVersion = decision.VersionLabel, rule = decision.RuleId, decision.Reason, decisionId };
        switch (decision.Action)
        {
            case PolicyAction.Reject:
                if (await PostStore.TransitionAsync(connection, postId, PostStatus.Rejected, [PostStatus.Pending], cancellationToken))
                {
                    await LabelStore.AddPolicyLabelAsync(connection, postId, LabelDecision.Reject, decision, cancellationToken);
                    await audit.AppendAsync(connection, Scanner, "policy.reject", "post", postId.ToString(), detail, cancellationToken);
                }

                return ScanOutcome.Rejected;
            case PolicyAction.Publish or PolicyAction.PublishSensitive:
                if (decision.Action == PolicyAction.PublishSensitive)
                {
                    await MarkSensitiveAsync(connection, postId, decision.ContentWarning, cancellationToken);
                }

                if (await PostStore.TransitionAsync(connection, postId, PostStatus.Published, [PostStatus.Pending], cancellationToken))
                {
                    await LabelStore.AddPolicyLabelAsync(connection, postId, LabelDecision.Approve, decision, cancellationToken);
                    await audit.AppendAsync(connection, Scanner, $"policy.{decision.Action.ToName()}", "post", postId.ToString(), detail, cancellationToken);
                }

                return ScanOutcome.Published;
            default:
                await ReviewQueue.OpenTaskAsync(connection, postId, decision, decisionId, cancellationToken);
                return ScanOutcome.Review;
        }
    }

    /// <summary>Blurred for everyone, behind the policy's warning unless the author gave one of their own.</summary>
    private static async Task MarkSensitiveAsync(NpgsqlConnection connection, Guid postId, string? warning, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            update ingest.posts set sensitive = true, content_warning = coalesce(nullif(content_warning, ''), $2)
            where id = $1 and status = 'pending'
            """, connection);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = (object?)warning ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<IReadOnlyList<CheckResult>> RunChecksAsync(Post post, CancellationToken cancellationToken)
    {
        byte[] image;
        try
        {
            image = await media.ReadAllBytesAsync(post.Media.Sha256, cancellationToken);
        }
        catch (IOException exception)
        {
            // Without its image nothing can be checked; the post waits (and then goes to a person) like any outage.
            return checks.Unavailable($"the media file cannot be read: {exception.Message}");
        }

        using var subject = CheckSubject.ForPost(post, image);
        return await checks.RunAsync(subject, cancellationToken);
    }

    private async Task CompleteAloneAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await OutboxQueue.CompleteAsync(connection, message, cancellationToken);
    }
}
