using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Moderation.Policy;

/// <summary>Whether a decision acted on the post (the active version) or was only recorded beside it (a draft in shadow).</summary>
public enum DecisionMode
{
    Live,
    Shadow,
}

/// <summary>Loads the facts a policy reads about a post, and stores each evaluation in <c>moderation.decisions</c>.</summary>
internal static class DecisionRecorder
{
    private const string UnavailableKey = "unavailableChecks";

    /// <summary>The post's facts now, on the caller's connection; null when the post is gone.</summary>
    public static async Task<PostFacts?> LoadFactsAsync(NpgsqlConnection connection, Guid postId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            select extract(epoch from now() - a.created_at)::float8 / 86400,
                   (select count(*) from ingest.posts o where o.author_id = p.author_id and o.id <> p.id and o.status in ('removed', 'rejected')),
                   (select count(*) from ingest.reports r where r.status in ('open', 'actioned')
                      and ((r.subject_type = 'post' and r.subject_id = p.id) or (r.subject_type = 'account' and r.subject_id = p.author_id))),
                   extract(year from now())::int - a.birth_year
            from ingest.posts p join ingest.accounts a on a.id = p.author_id
            where p.id = $1
            """, connection);
        command.Parameters.Add(new() { Value = postId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new PostFacts(Math.Round(reader.GetDouble(0), 2), (int)reader.GetInt64(1), (int)reader.GetInt64(2), reader.GetInt32(3))
            : null;
    }

    /// <summary>Stores one evaluation and returns its id. A shadow decision names the live decision it was made beside.</summary>
    public static async Task<long> RecordAsync(NpgsqlConnection connection, Guid postId, PolicyDecision decision, DecisionMode mode, PostFacts facts,
        IReadOnlyList<string> unavailable, long? liveDecisionId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            insert into moderation.decisions (post_id, policy_version, mode, action, rule_id, queue, priority, reason, signals_read, facts, live_decision_id)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            returning id
            """, connection);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = decision.PolicyVersion });
        command.Parameters.Add(new() { Value = mode == DecisionMode.Live ? "live" : "shadow" });
        command.Parameters.Add(new() { Value = decision.Action.ToName() });
        command.Parameters.Add(new() { Value = decision.RuleId });
        command.Parameters.Add(new() { Value = (object?)decision.Queue ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)decision.Priority ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new() { Value = decision.Reason });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(decision.SignalsRead, JsonSerializerOptions.Web), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = FactsJson(facts, unavailable), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = (object?)liveDecisionId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The facts as stored with a decision, with the required checks that could not run (a backtest replays both).</summary>
    public static string FactsJson(PostFacts facts, IReadOnlyList<string> unavailable)
    {
        var node = JsonSerializer.SerializeToNode(facts, JsonSerializerOptions.Web)!.AsObject();
        node["authorIsMinor"] = facts.AuthorIsMinor;
        node[UnavailableKey] = new JsonArray([.. unavailable.Select(u => (JsonNode?)u)]);
        return node.ToJsonString();
    }

    public static (PostFacts Facts, string[] Unavailable) ReadFacts(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        var facts = new PostFacts(
            node["accountAgeDays"]?.GetValue<double>() ?? 0,
            node["priorRemovals"]?.GetValue<int>() ?? 0,
            node["reportCount"]?.GetValue<int>() ?? 0,
            // Unknown age errs young: the minor-author guard then holds rather than publishes as sensitive.
            node["authorAge"]?.GetValue<int>() ?? 0);
        var unavailable = node[UnavailableKey] is JsonArray array ? array.Select(u => u!.GetValue<string>()).ToArray() : [];
        return (facts, unavailable);
    }
}
