using System.Text.Json;
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

public sealed record ReviewItem(Guid TaskId, Post Post, string Reason, int Priority, DateTimeOffset QueuedAt, IReadOnlyList<Signal> Signals)
{
    /// <summary>The queue the task waits in (<c>general</c>, <c>minor-safety</c>, <c>escalation</c>, <c>reports</c>).</summary>
    public string Queue { get; init; } = ReviewQueue.GeneralQueue;

    /// <summary>The policy rule (or built-in guard) whose decision opened the task; null for tasks opened before rules had ids.</summary>
    public string? RuleId { get; init; }

    /// <summary>The stored policy decision that opened the task, in <c>moderation.decisions</c>.</summary>
    public long? DecisionId { get; init; }
}

/// <summary>The decision a policy version made about a post, as <c>moderation.decisions</c> keeps it.</summary>
public sealed record StoredDecision(long Id, int PolicyVersion, string Mode, string Action, string RuleId, string? Queue, int? Priority, string Reason,
    JsonElement SignalsRead, JsonElement Facts, DateTimeOffset At);

/// <summary>A signal as stored, with whether its check ran in shadow (recorded, never acted on).</summary>
public sealed record StoredSignal(Signal Signal, bool Shadow, DateTimeOffset At);

/// <summary>Everything a reviewer reads about one task: the post, why it is queued (the rule and its decision) and every signal.</summary>
public sealed record ReviewTaskDetail(ReviewItem Item, bool Open, StoredDecision? Decision, IReadOnlyList<StoredSignal> AllSignals);

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

    /// <summary>Where tasks wait when nothing names another queue.</summary>
    public const string GeneralQueue = "general";

    /// <summary>The queues the policy may send a task to, in the order the console lists them.</summary>
    public static readonly IReadOnlyList<string> Queues = [GeneralQueue, "minor-safety", "escalation", "reports"];

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
    public Task<ReviewPage> ListOpenAsync(int skip, int take, CancellationToken cancellationToken) => ListOpenAsync(skip, take, null, cancellationToken);

    /// <summary>Open tasks of one queue (every queue when null), highest priority first, then oldest first.</summary>
    public async Task<ReviewPage> ListOpenAsync(int skip, int take, string? queue, CancellationToken cancellationToken)
    {
        take = Math.Clamp(take, 1, 100);
        await using var command = dataSource.CreateCommand(
            $"""
            select id, post_id, reason, priority, created_at, queue, rule_id, decision_id, count(*) over ()
            from moderation.review_tasks where state = '{OpenState}' and ($3::text is null or queue = $3)
            order by priority desc, created_at, id
            offset $1 limit $2
            """);
        command.Parameters.Add(new() { Value = Math.Max(0, skip) });
        command.Parameters.Add(new() { Value = take });
        command.Parameters.Add(new() { Value = (object?)queue ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var rows = new List<TaskRow>();
        var total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(ReadTask(reader));
                total = (int)reader.GetInt64(8);
            }
        }

        if (rows.Count == 0 && skip > 0)
        {
            total = queue is null ? await CountOpenAsync(cancellationToken) : (await CountOpenByQueueAsync(cancellationToken)).GetValueOrDefault(queue);
        }

        return new ReviewPage(await ToItemsAsync(rows, cancellationToken), total);
    }

    /// <summary>One task, open or decided, with the decision that opened it and every signal of its post (shadow ones too); null when there is none.</summary>
    public async Task<ReviewTaskDetail?> GetTaskAsync(Guid taskId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        TaskRow row;
        bool open;
        await using (var command = new NpgsqlCommand(
            "select id, post_id, reason, priority, created_at, queue, rule_id, decision_id, state from moderation.review_tasks where id = $1", connection))
        {
            command.Parameters.Add(new() { Value = taskId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            row = ReadTask(reader);
            open = reader.GetString(8) == OpenState;
        }

        if ((await ToItemsAsync([row], cancellationToken)).SingleOrDefault() is not { } item)
        {
            return null;
        }

        StoredDecision? decision = null;
        await using (var command = new NpgsqlCommand(
            """
            select id, policy_version, mode, action, rule_id, queue, priority, reason, signals_read::text, facts::text, created_at
            from moderation.decisions where id = $1
            """, connection))
        {
            command.Parameters.Add(new() { Value = (object?)row.DecisionId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                decision = new StoredDecision(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.GetString(7),
                    JsonElement.Parse(reader.GetString(8)), JsonElement.Parse(reader.GetString(9)), reader.GetFieldValue<DateTimeOffset>(10));
            }
        }

        var all = new List<StoredSignal>();
        await using (var command = new NpgsqlCommand(
            """
            select source, model_version, category, score, detail::text, severity, shadow, created_at
            from moderation.signals where post_id = $1 order by shadow, source, category, model_version
            """, connection))
        {
            command.Parameters.Add(new() { Value = row.PostId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                all.Add(new StoredSignal(
                    new Signal(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFloat(3), JsonElement.Parse(reader.GetString(4)),
                        reader.IsDBNull(5) ? null : reader.GetInt16(5)),
                    reader.GetBoolean(6), reader.GetFieldValue<DateTimeOffset>(7)));
            }
        }

        return new ReviewTaskDetail(item, open, decision, all);
    }

    /// <summary>Open tasks per queue; a queue with none is absent.</summary>
    public async Task<IReadOnlyDictionary<string, int>> CountOpenByQueueAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select queue, count(*) from moderation.review_tasks where state = '{OpenState}' group by queue");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = (int)reader.GetInt64(1);
        }

        return counts;
    }

    private sealed record TaskRow(Guid TaskId, Guid PostId, string Reason, int Priority, DateTimeOffset QueuedAt, string Queue, string? RuleId, long? DecisionId);

    private static TaskRow ReadTask(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt32(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetInt64(7));

    private async Task<IReadOnlyList<ReviewItem>> ToItemsAsync(IReadOnlyList<TaskRow> rows, CancellationToken cancellationToken)
    {
        var postIds = rows.Select(r => r.PostId).ToList();
        var postsById = await posts.GetManyAsync(postIds, cancellationToken);
        var signalsByPost = await signals.ForPostsAsync(postIds, cancellationToken);
        return rows
            .Where(row => postsById.ContainsKey(row.PostId))
            .Select(row => new ReviewItem(row.TaskId, postsById[row.PostId], row.Reason, row.Priority, row.QueuedAt, signalsByPost[row.PostId].ToList())
            {
                Queue = row.Queue,
                RuleId = row.RuleId,
                DecisionId = row.DecisionId,
            })
            .ToList();
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
