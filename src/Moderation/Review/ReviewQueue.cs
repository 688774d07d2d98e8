using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Policy;
using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Moderation.Review;

public enum ReviewDecision
{
    /// <summary>The post is fine: publish it.</summary>
    Approve,

    /// <summary>The post breaks the rules: take it down.</summary>
    Remove,
}

public sealed record ReviewItem(Guid TaskId, Post Post, string Reason, int Priority, DateTimeOffset QueuedAt, IReadOnlyList<Signal> Signals);

public sealed record ReviewPage(IReadOnlyList<ReviewItem> Items, int Total);

/// <summary>
/// The human review queue. A decision writes a label, closes the task, moves the post and appends to the audit log,
/// all in one transaction; a task can be decided once.
/// </summary>
public sealed class ReviewQueue(
    NpgsqlDataSource dataSource, PostStore posts, SignalStore signals, AccountRegistry accounts, AuditLog audit, ModerationTelemetry telemetry)
{
    // A task's state in moderation.review_tasks: open until a reviewer decides it.
    private const string OpenState = "open";
    private const string DecidedState = "decided";

    /// <summary>Opens a task for a post the policy held, in the decision's queue at its priority, naming the rule and the decision.</summary>
    internal static async Task OpenTaskAsync(NpgsqlConnection connection, Guid postId, PolicyDecision decision, long decisionId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            insert into moderation.review_tasks (id, post_id, reason, priority, policy_version, queue, rule_id, decision_id)
            values ($1, $2, $3, $4, $5, $6, $7, $8)
            on conflict (post_id) where state = '{OpenState}' do nothing
            """, connection);
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = decision.Reason });
        command.Parameters.Add(new() { Value = decision.Priority ?? PolicyDocument.DefaultPriority });
        command.Parameters.Add(new() { Value = decision.VersionLabel });
        command.Parameters.Add(new() { Value = decision.Queue ?? PolicyDocument.DefaultQueue });
        command.Parameters.Add(new() { Value = decision.RuleId });
        command.Parameters.Add(new() { Value = decisionId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Open tasks, highest priority first, then oldest first.</summary>
    public async Task<ReviewPage> ListOpenAsync(int skip, int take, CancellationToken cancellationToken)
    {
        take = Math.Clamp(take, 1, 100);
        await using var command = dataSource.CreateCommand(
            $"""
            select id, post_id, reason, priority, created_at, count(*) over ()
            from moderation.review_tasks where state = '{OpenState}'
            order by priority desc, created_at, id
            offset $1 limit $2
            """);
        command.Parameters.Add(new() { Value = Math.Max(0, skip) });
        command.Parameters.Add(new() { Value = take });
        var rows = new List<(Guid TaskId, Guid PostId, string Reason, int Priority, DateTimeOffset QueuedAt)>();
        var total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt32(3), reader.GetFieldValue<DateTimeOffset>(4)));
                total = (int)reader.GetInt64(5);
            }
        }

        if (rows.Count == 0 && skip > 0)
        {
            total = await CountOpenAsync(cancellationToken);
        }

        var postIds = rows.Select(r => r.PostId).ToList();
        var postsById = await posts.GetManyAsync(postIds, cancellationToken);
        var signalsByPost = await signals.ForPostsAsync(postIds, cancellationToken);
        var items = rows
            .Where(row => postsById.ContainsKey(row.PostId))
            .Select(row => new ReviewItem(row.TaskId, postsById[row.PostId], row.Reason, row.Priority, row.QueuedAt, signalsByPost[row.PostId].ToList()))
            .ToList();
        return new ReviewPage(items, total);
    }

    /// <summary>Open tasks and how long the oldest has waited; synchronous, for metrics read while they are collected.</summary>
    internal static (long Depth, TimeSpan Oldest) ReadDepth(NpgsqlDataSource dataSource)
    {
        using var command = dataSource.CreateCommand(
            $"select count(*), coalesce(now() - min(created_at), interval '0') from moderation.review_tasks where state = '{OpenState}'");
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetFieldValue<TimeSpan>(1));
    }

    public async Task<int> CountOpenAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select count(*) from moderation.review_tasks where state = '{OpenState}'");
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The label the decision wrote; refused, with nothing changed, when the reviewer may not decide or the task is gone or decided.</summary>
    public async Task<Outcome<ModerationLabel>> DecideAsync(Guid taskId, Actor reviewer, ReviewDecision decision, bool shownBlurred, string? note,
        CancellationToken cancellationToken)
    {
        if (reviewer.AccountId is not { } reviewerId ||
            await accounts.FindByIdAsync(reviewerId, cancellationToken) is not { } account ||
            !(account.IsInRole(Roles.Moderator) || account.IsInRole(Roles.Admin)))
        {
            return new Refusal(CommonProblems.Forbidden, "Only moderators and admins decide review tasks.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        Guid postId;
        string policyVersion;
        await using (var command = new NpgsqlCommand("select post_id, state, policy_version from moderation.review_tasks where id = $1 for update", connection))
        {
            command.Parameters.Add(new() { Value = taskId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new Refusal(CommonProblems.NotFound, $"There is no review task {taskId}.");
            }

            postId = reader.GetGuid(0);
            policyVersion = reader.GetString(2);
            if (reader.GetString(1) != OpenState)
            {
                return new Refusal(ModerationProblems.AlreadyDecided, "Another reviewer decided this task first.");
            }
        }

        var (status, label) = decision == ReviewDecision.Approve ? (PostStatus.Published, LabelDecision.Approve) : (PostStatus.Removed, LabelDecision.Remove);
        if (!await PostStore.TransitionAsync(connection, postId, status, [PostStatus.Pending], cancellationToken))
        {
            return new Refusal(ModerationProblems.AlreadyDecided, "The post is no longer pending; it was deleted or decided elsewhere.");
        }

        var recorded = await LabelStore.AddHumanLabelAsync(connection, postId, taskId, reviewerId, label, policyVersion, shownBlurred, note, cancellationToken);
        await using (var command = new NpgsqlCommand($"update moderation.review_tasks set state = '{DecidedState}', decided_at = now() where id = $1", connection))
        {
            command.Parameters.Add(new() { Value = taskId });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await audit.AppendAsync(connection, reviewer, $"review.{label.ToDatabase()}", "post", postId.ToString(),
            new { taskId, labelId = recorded.Id, shownBlurred, note }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        (label == LabelDecision.Approve ? telemetry.PostsPublished : telemetry.PostsRejected).Add(1, new KeyValuePair<string, object?>("by", "review"));
        return recorded;
    }
}
