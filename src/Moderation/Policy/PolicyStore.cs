using System.Text.Json.Nodes;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Database;
using AiSocial.Moderation.Checks;
using AiSocial.Problems;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Moderation.Policy;

/// <summary>A version's life: edited as a draft, then active (the one that decides), then retired when another is activated.</summary>
public enum PolicyState
{
    Draft,
    Active,
    Retired,
}

/// <summary>One version of the policy. <see cref="Shadow"/>: a draft evaluated beside the active version on every scan, never acting.</summary>
public sealed record PolicyVersion(int Version, PolicyState State, bool Shadow, PolicyDocument Document, string Description, int? BasedOn,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? ActivatedBy, DateTimeOffset? ActivatedAt,
    DateTimeOffset? ShadowStartedAt)
{
    public string Label => PolicyEngine.Label(Version);
}

/// <summary>How a rule differs between two versions: <c>added</c>, <c>removed</c>, <c>changed</c>, or only <c>moved</c> in the order.</summary>
public sealed record RuleChange(string RuleId, string Change, int? PositionBefore, int? PositionAfter, JsonNode? Before, JsonNode? After);

public sealed record ThresholdChange(string Key, double? Before, double? After);

/// <summary>What <see cref="PolicyDiff.Version"/> changes relative to <see cref="PolicyDiff.Against"/>.</summary>
public sealed record PolicyDiff(int Version, int Against, IReadOnlyList<RuleChange> Rules, IReadOnlyList<ThresholdChange> Thresholds,
    JsonNode? DefaultBefore, JsonNode? DefaultAfter)
{
    public bool DefaultChanged => DefaultBefore is not null;
}

/// <summary>Posts whose action would move from <see cref="From"/> (the active version) to <see cref="To"/> (the version tested), with some of them.</summary>
public sealed record BacktestCell(string From, string To, int Count, IReadOnlyList<Guid> Examples);

/// <summary>The version tested against the active one on the same stored signals and facts of the last <see cref="Posts"/> scanned posts.</summary>
public sealed record PolicyBacktest(int Version, int Against, int Posts, int Changed, IReadOnlyList<BacktestCell> Cells);

public sealed record ShadowDisagreement(Guid PostId, int LiveVersion, string LiveAction, string LiveRule, string ShadowAction, string ShadowRule,
    DateTimeOffset DecidedAt);

/// <summary>How a version running in shadow compares with the live decisions it was evaluated beside (since its shadow run last started).</summary>
public sealed record ShadowReport(int Version, bool Running, DateTimeOffset? StartedAt, int Evaluated, int Agreed, int Disagreed,
    IReadOnlyList<ShadowDisagreement> RecentDisagreements);

/// <summary>
/// The policy versions: drafts are created from another version and edited (only valid documents are stored), tested
/// on past posts (backtest) and on new ones (shadow), then activated — audited, in one transaction with the change,
/// retiring the version that was active. An active or retired version never changes, so any decision can be
/// explained by the document of the version that made it.
/// </summary>
public sealed class PolicyStore(NpgsqlDataSource dataSource, AuditLog audit, SignalStore signals)
{
    public const int MaxBacktestPosts = 10_000;
    public const int MaxExamples = 5;
    public const int MaxDescriptionLength = 2000;
    private const int RecentDisagreements = 20;
    private const string Columns =
        "version, state, shadow, document, description, based_on, created_by, created_at, updated_at, activated_by, activated_at, shadow_started_at";

    // Parsed documents by (version, updated_at): the scanner reads the live versions for every post.
    private readonly Dictionary<(int, DateTimeOffset), PolicyDocument> _parsed = [];

    public async Task<IReadOnlyList<PolicyVersion>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"select {Columns} from moderation.policy_versions order by version desc");
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<PolicyVersion?> GetAsync(int version, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"select {Columns} from moderation.policy_versions where version = $1");
        command.Parameters.Add(new() { Value = version });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>The active version, and the draft running in shadow if there is one: what the scanner evaluates.</summary>
    public async Task<(PolicyVersion Active, PolicyVersion? Shadow)> LiveAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"select {Columns} from moderation.policy_versions where state = 'active' or shadow");
        var versions = await ReadAsync(command, cancellationToken);
        var active = versions.SingleOrDefault(v => v.State == PolicyState.Active)
            ?? throw new InvalidOperationException("No policy version is active; migration 0007 installs version 1 and activation only replaces it.");
        return (active, versions.SingleOrDefault(v => v.Shadow));
    }

    /// <summary>The active version's label (<c>v3</c>) on the caller's connection, for a snapshot that records which policy was in force.</summary>
    public static async Task<string> ActiveLabelAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select version from moderation.policy_versions where state = 'active'", connection);
        return await command.ExecuteScalarAsync(cancellationToken) is int version ? PolicyEngine.Label(version) : "none";
    }

    /// <summary>A new draft holding the document of <paramref name="basedOn"/>, or of the active version when null.</summary>
    public async Task<Outcome<PolicyVersion>> CreateDraftAsync(Actor actor, int? basedOn, string description, CancellationToken cancellationToken = default)
    {
        if (DescriptionProblem(description) is { } problem)
        {
            return problem;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Version numbers are handed out in order; the lock makes two drafts created at once take turns.
        await using (var lockTable = new NpgsqlCommand("lock table moderation.policy_versions in share row exclusive mode", connection))
        {
            await lockTable.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(
            $"""
            insert into moderation.policy_versions (version, state, document, description, based_on, created_by)
            select (select coalesce(max(version), 0) + 1 from moderation.policy_versions), 'draft', source.document, $2, source.version, $3
            from moderation.policy_versions source
            where case when $1::integer is null then source.state = 'active' else source.version = $1 end
            returning {Columns}
            """, connection);
        command.Parameters.Add(new() { Value = (object?)basedOn ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new() { Value = description });
        command.Parameters.Add(new() { Value = actor.Name });
        var created = (await ReadAsync(command, cancellationToken)).SingleOrDefault();
        if (created is null)
        {
            return new Refusal(CommonProblems.NotFound, $"There is no policy version {basedOn} to base a draft on.");
        }

        await audit.AppendAsync(connection, actor, "policy.draft", "policy", created.Version.ToString(), new { basedOn = created.BasedOn, description },
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return created;
    }

    /// <summary>
    /// Replaces a draft's document and description. An invalid document is refused with every error and its path
    /// (the refusal's <c>errors</c> extension: <c>[{path, message}]</c>); a version that is not a draft, with 409.
    /// Saving a draft that runs in shadow restarts its shadow counts: they would otherwise mix two documents.
    /// </summary>
    public async Task<Outcome<PolicyVersion>> SaveDraftAsync(Actor actor, int version, string documentJson, string description,
        CancellationToken cancellationToken = default)
    {
        if (PolicyDocument.TryParse(documentJson, out var errors) is not { } document)
        {
            return InvalidDocument(errors);
        }

        if (DescriptionProblem(description) is { } problem)
        {
            return problem;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockAsync(connection, version, cancellationToken) is not { } state)
        {
            return NotFound(version);
        }

        if (state != PolicyState.Draft)
        {
            return NotDraft(version, state);
        }

        await using var command = new NpgsqlCommand(
            $"""
            update moderation.policy_versions
            set document = $2, description = $3, updated_at = clock_timestamp(),
                shadow_started_at = case when shadow then clock_timestamp() else shadow_started_at end
            where version = $1
            returning {Columns}
            """, connection);
        command.Parameters.Add(new() { Value = version });
        command.Parameters.Add(new() { Value = document.ToJson(), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = description });
        var saved = (await ReadAsync(command, cancellationToken)).Single();
        await audit.AppendAsync(connection, actor, "policy.save", "policy", version.ToString(), new { description, rules = document.Rules.Count },
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return saved;
    }

    /// <summary>Rule by rule (matched by id), threshold by threshold and the default: what <paramref name="version"/> changes from <paramref name="against"/>.</summary>
    public async Task<Outcome<PolicyDiff>> DiffAsync(int version, int against, CancellationToken cancellationToken = default)
    {
        if (await GetAsync(version, cancellationToken) is not { } after)
        {
            return NotFound(version);
        }

        if (await GetAsync(against, cancellationToken) is not { } before)
        {
            return NotFound(against);
        }

        return Diff(before.Document, after.Document, version, against);
    }

    internal static PolicyDiff Diff(PolicyDocument before, PolicyDocument after, int version, int against)
    {
        var oldRules = before.Rules.Select((rule, i) => (rule, i)).ToDictionary(r => r.rule.Id, StringComparer.Ordinal);
        var newRules = after.Rules.Select((rule, i) => (rule, i)).ToDictionary(r => r.rule.Id, StringComparer.Ordinal);
        var changes = new List<RuleChange>();
        foreach (var (rule, i) in after.Rules.Select((rule, i) => (rule, i)))
        {
            var node = PolicyDocument.RuleNode(rule);
            if (!oldRules.TryGetValue(rule.Id, out var old))
            {
                changes.Add(new RuleChange(rule.Id, "added", null, i, null, node));
                continue;
            }

            var oldNode = PolicyDocument.RuleNode(old.rule);
            if (!JsonNode.DeepEquals(oldNode, node))
            {
                changes.Add(new RuleChange(rule.Id, "changed", old.i, i, oldNode, node));
            }
            else if (RelativeOrder(before, rule.Id, newRules) != RelativeOrder(after, rule.Id, oldRules))
            {
                // Order decides (the first match wins), so a rule that now comes before or after others is a change.
                changes.Add(new RuleChange(rule.Id, "moved", old.i, i, null, null));
            }
        }

        changes.AddRange(before.Rules.Select((rule, i) => (rule, i)).Where(r => !newRules.ContainsKey(r.rule.Id))
            .Select(r => new RuleChange(r.rule.Id, "removed", r.i, null, PolicyDocument.RuleNode(r.rule), null)));
        var thresholds = before.Thresholds.Keys.Union(after.Thresholds.Keys).Order(StringComparer.Ordinal)
            .Select(key => new ThresholdChange(key, before.Thresholds.TryGetValue(key, out var b) ? b : null, after.Thresholds.TryGetValue(key, out var a) ? a : null))
            .Where(change => change.Before != change.After)
            .ToList();
        var (oldDefault, newDefault) = (PolicyDocument.OutcomeNode(before.Default), PolicyDocument.OutcomeNode(after.Default));
        var defaultChanged = !JsonNode.DeepEquals(oldDefault, newDefault);
        return new PolicyDiff(version, against, changes, thresholds, defaultChanged ? oldDefault : null, defaultChanged ? newDefault : null);
    }

    // The ids of the rules both versions have, in this document's order: a rule moved when its place among them changed.
    private static int RelativeOrder(PolicyDocument document, string id, Dictionary<string, (PolicyRule rule, int i)> other) =>
        document.Rules.Where(r => other.ContainsKey(r.Id)).Select(r => r.Id).ToList().IndexOf(id);

    /// <summary>
    /// Evaluates <paramref name="version"/> and the active version on the stored signals and facts of the last
    /// <paramref name="lastPosts"/> posts the scanner decided, and counts how each post's action would move.
    /// </summary>
    public async Task<Outcome<PolicyBacktest>> BacktestAsync(int version, int lastPosts, CancellationToken cancellationToken = default)
    {
        if (lastPosts is < 1 or > MaxBacktestPosts)
        {
            return Refusal.Invalid("last", $"last is a number of posts from 1 to {MaxBacktestPosts}.");
        }

        if (await GetAsync(version, cancellationToken) is not { } tested)
        {
            return NotFound(version);
        }

        var (active, _) = await LiveAsync(cancellationToken);
        var inputs = new List<(Guid PostId, PostFacts Facts, string[] Unavailable)>();
        await using (var command = dataSource.CreateCommand(
            """
            select post_id, facts from (
                select distinct on (post_id) post_id, id, facts from moderation.decisions where mode = 'live' order by post_id, id desc
            ) latest
            order by id desc limit $1
            """))
        {
            command.Parameters.Add(new() { Value = lastPosts });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var (facts, unavailable) = DecisionRecorder.ReadFacts(reader.GetString(1));
                inputs.Add((reader.GetGuid(0), facts, unavailable));
            }
        }

        var stored = await signals.ForPostsAsync([.. inputs.Select(i => i.PostId)], cancellationToken);
        var cells = new Dictionary<(PolicyAction From, PolicyAction To), (int Count, List<Guid> Examples)>();
        foreach (var (postId, facts, unavailable) in inputs)
        {
            var input = new PolicyInput([.. stored[postId]], unavailable, facts);
            var from = PolicyEngine.Evaluate(active.Version, active.Document, input).Action;
            var to = PolicyEngine.Evaluate(tested.Version, tested.Document, input).Action;
            var cell = cells.TryGetValue((from, to), out var found) ? found : (0, []);
            if (cell.Examples.Count < MaxExamples)
            {
                cell.Examples.Add(postId);
            }

            cells[(from, to)] = (cell.Count + 1, cell.Examples);
        }

        return new PolicyBacktest(version, active.Version, inputs.Count, cells.Where(c => c.Key.From != c.Key.To).Sum(c => c.Value.Count),
            [.. cells.OrderBy(c => c.Key.From).ThenBy(c => c.Key.To)
                .Select(c => new BacktestCell(c.Key.From.ToName(), c.Key.To.ToName(), c.Value.Count, c.Value.Examples))]);
    }

    /// <summary>Runs a draft in shadow: every post scanned from now on is also decided by it, recorded, never acted on. One draft at a time: another one running stops.</summary>
    public async Task<Outcome<PolicyVersion>> StartShadowAsync(Actor actor, int version, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockAsync(connection, version, cancellationToken) is not { } state)
        {
            return NotFound(version);
        }

        if (state != PolicyState.Draft)
        {
            return NotDraft(version, state);
        }

        int? stopped;
        await using (var command = new NpgsqlCommand(
            "update moderation.policy_versions set shadow = false where shadow and version <> $1 returning version", connection))
        {
            command.Parameters.Add(new() { Value = version });
            stopped = (int?)await command.ExecuteScalarAsync(cancellationToken);
        }

        await using var start = new NpgsqlCommand(
            $"""
            update moderation.policy_versions
            set shadow = true, shadow_started_at = case when shadow then shadow_started_at else clock_timestamp() end
            where version = $1 returning {Columns}
            """, connection);
        start.Parameters.Add(new() { Value = version });
        var started = (await ReadAsync(start, cancellationToken)).Single();
        await audit.AppendAsync(connection, actor, "policy.shadow.start", "policy", version.ToString(), new { stopped }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return started;
    }

    public async Task<Outcome<PolicyVersion>> StopShadowAsync(Actor actor, int version, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockAsync(connection, version, cancellationToken) is null)
        {
            return NotFound(version);
        }

        await using var command = new NpgsqlCommand(
            $"update moderation.policy_versions set shadow = false where version = $1 returning {Columns}", connection);
        command.Parameters.Add(new() { Value = version });
        var stopped = (await ReadAsync(command, cancellationToken)).Single();
        await audit.AppendAsync(connection, actor, "policy.shadow.stop", "policy", version.ToString(), null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stopped;
    }

    /// <summary>The version's shadow decisions since its shadow run (re)started, each compared with the live decision made beside it.</summary>
    public async Task<Outcome<ShadowReport>> ShadowReportAsync(int version, CancellationToken cancellationToken = default)
    {
        if (await GetAsync(version, cancellationToken) is not { } policy)
        {
            return NotFound(version);
        }

        const string Paired =
            """
            from moderation.decisions s join moderation.decisions l on l.id = s.live_decision_id
            where s.policy_version = $1 and s.mode = 'shadow' and ($2::timestamptz is null or s.created_at >= $2)
            """;
        var since = (object?)policy.ShadowStartedAt ?? DBNull.Value;
        int evaluated, agreed;
        await using (var command = dataSource.CreateCommand($"select count(*), count(*) filter (where s.action = l.action) {Paired}"))
        {
            command.Parameters.Add(new() { Value = version });
            command.Parameters.Add(new() { Value = since, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (evaluated, agreed) = ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
        }

        var disagreements = new List<ShadowDisagreement>();
        await using (var command = dataSource.CreateCommand(
            $"""
            select s.post_id, l.policy_version, l.action, l.rule_id, s.action, s.rule_id, s.created_at
            {Paired} and s.action <> l.action
            order by s.id desc limit {RecentDisagreements}
            """))
        {
            command.Parameters.Add(new() { Value = version });
            command.Parameters.Add(new() { Value = since, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                disagreements.Add(new ShadowDisagreement(reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6)));
            }
        }

        return new ShadowReport(version, policy.Shadow, policy.ShadowStartedAt, evaluated, agreed, evaluated - agreed, disagreements);
    }

    /// <summary>Makes a draft the active version (its shadow run ends) and retires the one that was, with the audit entry, in one transaction.</summary>
    public async Task<Outcome<PolicyVersion>> ActivateAsync(Actor actor, int version, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Every version row locked: two activations at once take turns, and the second finds its draft no longer a draft or the active one changed.
        await using (var lockAll = new NpgsqlCommand("select version from moderation.policy_versions order by version for update", connection))
        {
            await lockAll.ExecuteNonQueryAsync(cancellationToken);
        }

        if (await LockAsync(connection, version, cancellationToken) is not { } state)
        {
            return NotFound(version);
        }

        if (state != PolicyState.Draft)
        {
            return NotDraft(version, state);
        }

        int? retired;
        await using (var command = new NpgsqlCommand(
            "update moderation.policy_versions set state = 'retired', updated_at = clock_timestamp() where state = 'active' returning version", connection))
        {
            retired = (int?)await command.ExecuteScalarAsync(cancellationToken);
        }

        await using var activate = new NpgsqlCommand(
            $"""
            update moderation.policy_versions
            set state = 'active', shadow = false, activated_by = $2, activated_at = clock_timestamp(), updated_at = clock_timestamp()
            where version = $1 returning {Columns}
            """, connection);
        activate.Parameters.Add(new() { Value = version });
        activate.Parameters.Add(new() { Value = actor.Name });
        var activated = (await ReadAsync(activate, cancellationToken)).Single();
        await audit.AppendAsync(connection, actor, "policy.activate", "policy", version.ToString(), new { version, retired }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return activated;
    }

    private static async Task<PolicyState?> LockAsync(NpgsqlConnection connection, int version, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select state from moderation.policy_versions where version = $1 for update", connection);
        command.Parameters.Add(new() { Value = version });
        return await command.ExecuteScalarAsync(cancellationToken) is string state ? DatabaseNames.Parse<PolicyState>(state) : null;
    }

    private static Refusal NotFound(int version) => new(CommonProblems.NotFound, $"There is no policy version {version}.");

    private static Refusal NotDraft(int version, PolicyState state) => new(ModerationProblems.PolicyNotDraft,
        $"Policy version {version} is {state.ToDatabase()}; only drafts change. Create a draft based on it (POST /api/v1/moderation/policies) and edit that.");

    internal static Refusal InvalidDocument(IReadOnlyList<PolicyError> errors) =>
        new(ModerationProblems.InvalidPolicy, $"The policy has {errors.Count} error(s); the first: {errors[0].Path}: {errors[0].Message}")
        {
            Extensions = new Dictionary<string, object?> { ["errors"] = errors.Select(e => new { path = e.Path, message = e.Message }).ToArray() },
        };

    private static Refusal? DescriptionProblem(string description) =>
        description.Length > MaxDescriptionLength
            ? Refusal.Invalid("description", $"description is at most {MaxDescriptionLength} characters.")
            : TextRules.Problem(description, multiLine: true) is { } problem ? Refusal.Invalid("description", $"description {problem}.") : null;

    private async Task<List<PolicyVersion>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var versions = new List<PolicyVersion>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var version = reader.GetInt32(0);
            var updatedAt = reader.GetFieldValue<DateTimeOffset>(8);
            PolicyDocument document;
            lock (_parsed)
            {
                if (!_parsed.TryGetValue((version, updatedAt), out document!))
                {
                    if (_parsed.Count > 64)
                    {
                        _parsed.Clear();
                    }

                    document = PolicyDocument.Parse(reader.GetString(3));
                    _parsed[(version, updatedAt)] = document;
                }
            }

            versions.Add(new PolicyVersion(version, DatabaseNames.Parse<PolicyState>(reader.GetString(1)), reader.GetBoolean(2), document,
                reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetInt32(5), reader.GetString(6), reader.GetFieldValue<DateTimeOffset>(7),
                updatedAt, reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11)));
        }

        return versions;
    }
}
