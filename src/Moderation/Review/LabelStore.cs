using AiSocial.Ingest.Database;
using AiSocial.Moderation.Policy;
using Npgsql;

namespace AiSocial.Moderation.Review;

/// <summary>What a label says about a post.</summary>
public enum LabelDecision
{
    /// <summary>A reviewer found it fine; it is published.</summary>
    Approve,

    /// <summary>A reviewer took it down.</summary>
    Remove,

    /// <summary>The policy refused it outright (a hash-bank match, the highest severities).</summary>
    Reject,
}

/// <summary>Who decided: a person, or the policy.</summary>
public enum LabelSource
{
    Human,
    Policy,
}

/// <summary>A moderation decision about a post, by a person (reviewer) or by the policy.</summary>
public sealed record ModerationLabel(long Id, Guid PostId, LabelSource Source, Guid? ReviewerId, LabelDecision Decision, string PolicyVersion,
    bool? ShownBlurred, DateTimeOffset CreatedAt);


/// <summary>Labels are append-only; the latest one for a post is its current moderation state.</summary>
internal sealed class LabelStore(NpgsqlDataSource dataSource)
{
    internal static async Task AddPolicyLabelAsync(NpgsqlConnection connection, Guid postId, LabelDecision decision, PolicyDecision policy,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            insert into moderation.labels (post_id, source, decision, policy_version, note)
            values ($1, $5, $2, $3, $4)
            """, connection);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = decision.ToDatabase() });
        command.Parameters.Add(new() { Value = policy.VersionLabel });
        command.Parameters.Add(new() { Value = $"{policy.RuleId}: {policy.Reason}" });
        command.Parameters.Add(new() { Value = LabelSource.Policy.ToDatabase() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A reviewer's label; <paramref name="policyVersion"/> is the version that sent the post to review.</summary>
    internal static async Task<ModerationLabel> AddHumanLabelAsync(NpgsqlConnection connection, Guid postId, Guid taskId, Guid reviewerId,
        LabelDecision decision, string policyVersion, bool shownBlurred, string? note, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            insert into moderation.labels (post_id, task_id, source, reviewer_id, decision, policy_version, shown_blurred, note)
            values ($1, $2, $8, $3, $4, $5, $6, $7)
            returning id, created_at
            """, connection);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = taskId });
        command.Parameters.Add(new() { Value = reviewerId });
        command.Parameters.Add(new() { Value = decision.ToDatabase() });
        command.Parameters.Add(new() { Value = policyVersion });
        command.Parameters.Add(new() { Value = shownBlurred });
        command.Parameters.Add(new() { Value = (object?)note ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = LabelSource.Human.ToDatabase() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ModerationLabel(reader.GetInt64(0), postId, LabelSource.Human, reviewerId, decision, policyVersion, shownBlurred,
            reader.GetFieldValue<DateTimeOffset>(1));
    }

    /// <summary>The latest label of each post that has one, read on the caller's connection (for a consistent snapshot).</summary>
    public static async Task<Dictionary<Guid, ModerationLabel>> LatestAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            select distinct on (post_id) {Columns}
            from moderation.labels order by post_id, id desc
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var labels = new Dictionary<Guid, ModerationLabel>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var label = Read(reader);
            labels[label.PostId] = label;
        }

        return labels;
    }

    public async Task<IReadOnlyList<ModerationLabel>> ForPostAsync(Guid postId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            select {Columns}
            from moderation.labels where post_id = $1 order by id
            """);
        command.Parameters.Add(new() { Value = postId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var labels = new List<ModerationLabel>();
        while (await reader.ReadAsync(cancellationToken))
        {
            labels.Add(Read(reader));
        }

        return labels;
    }

    private const string Columns = "id, post_id, source, reviewer_id, decision, policy_version, shown_blurred, created_at";

    private static ModerationLabel Read(NpgsqlDataReader reader) =>
        new(reader.GetInt64(0), reader.GetGuid(1), DatabaseNames.Parse<LabelSource>(reader.GetString(2)), reader.IsDBNull(3) ? null : reader.GetGuid(3),
            DatabaseNames.Parse<LabelDecision>(reader.GetString(4)), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetBoolean(6), reader.GetFieldValue<DateTimeOffset>(7));
}
