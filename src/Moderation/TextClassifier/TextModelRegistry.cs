using AiSocial.Ingest.Audit;
using AiSocial.Problems;
using AiSocial.SafetyModels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Moderation.TextClassifier;

public enum TextModelStatus
{
    /// <summary>Scored on every post and recorded, never acted on.</summary>
    Shadow,

    /// <summary>The version whose scores the policy may use.</summary>
    Active,

    Retired,
}

/// <summary>One trained version of the text classifier as the registry holds it (without its ONNX bytes).</summary>
public sealed record TextModelVersion(
    long Version, TextModelStatus Status, DateTimeOffset CreatedAt, string TrainedBy, string Pipeline, TimeSpan TrainingTime,
    TrainingSnapshot Snapshot, HeldOutMetrics Metrics, string OnnxSha256, int OnnxBytes,
    DateTimeOffset? PromotedAt, string? PromotedBy, DateTimeOffset? RetiredAt, string? RetiredBy)
{
    /// <summary>How signals name this version.</summary>
    public string Label => $"v{Version}";
}

/// <summary>
/// The text classifier's versions in <c>moderation.text_models</c>, ONNX bytes included, so every node serves the same
/// model. Training stores a new version in shadow (retiring the shadow before it); staff promote a shadow version to
/// active (retiring the active one) or retire a version. Every change is audited in the same transaction.
/// </summary>
public sealed class TextModelRegistry(
    NpgsqlDataSource dataSource, AuditLog audit, IOptions<TextClassifierOptions> options, ILogger<TextModelRegistry> logger)
{
    // Serialises changes to the registry, so two trainings cannot both install a shadow version.
    private const long AdvisoryLockKey = 0x74657874_636c66; // "textclf"
    private const string SubjectType = "text_model";

    private readonly TextClassifierOptions _options = options.Value;

    /// <summary>
    /// Trains on every post with a human label and stores the result as the new shadow version; refused, with nothing
    /// stored, when there are too few labels or too few of a class.
    /// </summary>
    public async Task<Outcome<TextModelVersion>> TrainAsync(Actor actor, CancellationToken cancellationToken)
    {
        var rows = await TrainingData.ReadAsync(dataSource, cancellationToken);
        var training = await Task.Run(() => new TextClassifierTrainer(_options).Train(rows), cancellationToken);
        if (training.Refusal is { } refused)
        {
            return refused;
        }

        var trained = training.Value;
        var version = await StoreAsync(actor, trained, cancellationToken);
        logger.LogInformation(
            "Text classifier {Version} trained by {Actor} on {Rows} posts in {Seconds:0.0} s: held-out AUC {Auc:0.000}, precision {Precision}, recall {Recall:0.000}",
            version.Label, actor.Name, version.Snapshot.Rows, trained.Duration.TotalSeconds, version.Metrics.Auc, version.Metrics.Precision,
            version.Metrics.Recall);
        return version;
    }

    /// <summary>
    /// Trains if at least <see cref="TextClassifierOptions.RetrainAfterNewLabels"/> human labels arrived since the latest
    /// version's snapshot; null when none is due.
    /// </summary>
    public async Task<Outcome<TextModelVersion>?> TrainIfDueAsync(Actor actor, CancellationToken cancellationToken) =>
        await CountNewLabelsAsync(cancellationToken) >= _options.RetrainAfterNewLabels ? await TrainAsync(actor, cancellationToken) : (Outcome<TextModelVersion>?)null;

    /// <summary>Human labels recorded after the newest version's snapshot (all of them when there is no version yet).</summary>
    public async Task<long> CountNewLabelsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select coalesce(max(max_label_id), 0) from moderation.text_models");
        var highWaterMark = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return await TrainingData.CountHumanLabelsAfterAsync(dataSource, highWaterMark, cancellationToken);
    }

    /// <summary>Makes a shadow version the active one; the version active before is retired. Only a shadow version can be promoted.</summary>
    public async Task<Outcome<TextModelVersion>> PromoteAsync(Actor actor, long version, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, cancellationToken);
        if (await StatusAsync(connection, version, cancellationToken) is not { } current)
        {
            return NoSuchVersion(version);
        }

        if (current != TextModelStatus.Shadow)
        {
            return new Refusal(ModerationProblems.AlreadyDecided, $"Text classifier v{version} is {Name(current)}; only a shadow version can be promoted.");
        }

        long? previous = null;
        await using (var command = new NpgsqlCommand(
            """
            update moderation.text_models set status = 'retired', retired_at = now(), retired_by = $1
            where status = 'active' returning id
            """, connection))
        {
            command.Parameters.Add(new() { Value = actor.Name });
            previous = (long?)await command.ExecuteScalarAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(
            "update moderation.text_models set status = 'active', promoted_at = now(), promoted_by = $2 where id = $1", connection))
        {
            command.Parameters.Add(new() { Value = version });
            command.Parameters.Add(new() { Value = actor.Name });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        if (previous is { } retired)
        {
            await audit.AppendAsync(connection, actor, "textclf.retire", SubjectType, retired.ToString(),
                new { reason = $"replaced by v{version}" }, cancellationToken);
        }

        await audit.AppendAsync(connection, actor, "textclf.promote", SubjectType, version.ToString(), new { previous }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await GetAsync(version, cancellationToken))!;
    }

    /// <summary>Takes a shadow or active version out of service; with no active version the check scores nothing.</summary>
    public async Task<Outcome<TextModelVersion>> RetireAsync(Actor actor, long version, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, cancellationToken);
        if (await StatusAsync(connection, version, cancellationToken) is not { } current)
        {
            return NoSuchVersion(version);
        }

        if (current == TextModelStatus.Retired)
        {
            return new Refusal(ModerationProblems.AlreadyDecided, $"Text classifier v{version} is already retired.");
        }

        await using (var command = new NpgsqlCommand(
            "update moderation.text_models set status = 'retired', retired_at = now(), retired_by = $2 where id = $1", connection))
        {
            command.Parameters.Add(new() { Value = version });
            command.Parameters.Add(new() { Value = actor.Name });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await audit.AppendAsync(connection, actor, "textclf.retire", SubjectType, version.ToString(),
            new { reason, was = Name(current) }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await GetAsync(version, cancellationToken))!;
    }

    /// <summary>Every version, newest first.</summary>
    public Task<IReadOnlyList<TextModelVersion>> ListAsync(CancellationToken cancellationToken) =>
        QueryAsync("order by id desc", null, cancellationToken);

    public async Task<TextModelVersion?> GetAsync(long version, CancellationToken cancellationToken) =>
        (await QueryAsync("where id = $1", version, cancellationToken)).SingleOrDefault();

    public async Task<TextModelVersion?> GetActiveAsync(CancellationToken cancellationToken) =>
        (await QueryAsync("where status = 'active'", null, cancellationToken)).SingleOrDefault();

    public async Task<TextModelVersion?> GetShadowAsync(CancellationToken cancellationToken) =>
        (await QueryAsync("where status = 'shadow'", null, cancellationToken)).SingleOrDefault();

    /// <summary>The versions in service (active and shadow) with their ONNX checksums: what the scorer should have loaded.</summary>
    internal async Task<IReadOnlyList<(long Version, TextModelStatus Status, string OnnxSha256)>> InServiceAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select id, status, onnx_sha256 from moderation.text_models where status in ('active', 'shadow') order by id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new List<(long, TextModelStatus, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add((reader.GetInt64(0), Parse(reader.GetString(1)), reader.GetString(2)));
        }

        return versions;
    }

    /// <summary>A version's ONNX model.</summary>
    public async Task<byte[]> ReadOnnxAsync(long version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select onnx from moderation.text_models where id = $1");
        command.Parameters.Add(new() { Value = version });
        return await command.ExecuteScalarAsync(cancellationToken) as byte[]
            ?? throw new ModelUnavailableException($"There is no text classifier v{version}.");
    }

    private async Task<TextModelVersion> StoreAsync(Actor actor, TrainedTextClassifier trained, CancellationToken cancellationToken)
    {
        var snapshot = trained.Snapshot;
        var metrics = trained.Metrics;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, cancellationToken);
        long? superseded;
        await using (var command = new NpgsqlCommand(
            """
            update moderation.text_models set status = 'retired', retired_at = now(), retired_by = $1
            where status = 'shadow' returning id
            """, connection))
        {
            command.Parameters.Add(new() { Value = actor.Name });
            superseded = (long?)await command.ExecuteScalarAsync(cancellationToken);
        }

        long version;
        await using (var command = new NpgsqlCommand(
            """
            insert into moderation.text_models (trained_by, pipeline, training_ms, row_count, positives, training_rows, held_out_rows,
                held_out_positives, max_label_id, max_label_at, labels_sha256, held_out_precision, held_out_recall, held_out_auc,
                onnx_max_difference, onnx, onnx_sha256)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
            returning id
            """, connection))
        {
            command.Parameters.Add(new() { Value = actor.Name });
            command.Parameters.Add(new() { Value = TextClassifierTrainer.Pipeline });
            command.Parameters.Add(new() { Value = (int)trained.Duration.TotalMilliseconds });
            command.Parameters.Add(new() { Value = snapshot.Rows });
            command.Parameters.Add(new() { Value = snapshot.Positives });
            command.Parameters.Add(new() { Value = snapshot.TrainingRows });
            command.Parameters.Add(new() { Value = snapshot.HeldOutRows });
            command.Parameters.Add(new() { Value = snapshot.HeldOutPositives });
            command.Parameters.Add(new() { Value = snapshot.MaxLabelId });
            command.Parameters.Add(new() { Value = snapshot.MaxLabelAt });
            command.Parameters.Add(new() { Value = snapshot.LabelsSha256 });
            command.Parameters.Add(new() { Value = (object?)metrics.Precision ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            command.Parameters.Add(new() { Value = metrics.Recall });
            command.Parameters.Add(new() { Value = metrics.Auc });
            command.Parameters.Add(new() { Value = metrics.OnnxMaxDifference });
            command.Parameters.Add(new() { Value = trained.Onnx, NpgsqlDbType = NpgsqlDbType.Bytea });
            command.Parameters.Add(new() { Value = trained.OnnxSha256 });
            version = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        if (superseded is { } retired)
        {
            await audit.AppendAsync(connection, actor, "textclf.retire", SubjectType, retired.ToString(),
                new { reason = $"superseded by v{version}" }, cancellationToken);
        }

        await audit.AppendAsync(connection, actor, "textclf.train", SubjectType, version.ToString(),
            new
            {
                rows = snapshot.Rows,
                positives = snapshot.Positives,
                maxLabelId = snapshot.MaxLabelId,
                labelsSha256 = snapshot.LabelsSha256,
                auc = metrics.Auc,
                precision = metrics.Precision,
                recall = metrics.Recall,
                onnxSha256 = trained.OnnxSha256,
                trainingMs = (int)trained.Duration.TotalMilliseconds,
            }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await GetAsync(version, cancellationToken))!;
    }

    private static async Task LockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select pg_advisory_xact_lock($1)", connection);
        command.Parameters.Add(new() { Value = AdvisoryLockKey });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<TextModelStatus?> StatusAsync(NpgsqlConnection connection, long version, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select status from moderation.text_models where id = $1 for update", connection);
        command.Parameters.Add(new() { Value = version });
        return await command.ExecuteScalarAsync(cancellationToken) is string status ? Parse(status) : null;
    }

    private static Refusal NoSuchVersion(long version) => new(CommonProblems.NotFound, $"There is no text classifier v{version}.");

    private async Task<IReadOnlyList<TextModelVersion>> QueryAsync(string where, long? version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            select id, status, created_at, trained_by, pipeline, training_ms, row_count, positives, training_rows, held_out_rows,
                   held_out_positives, max_label_id, max_label_at, labels_sha256, held_out_precision, held_out_recall, held_out_auc,
                   onnx_max_difference, onnx_sha256, length(onnx), promoted_at, promoted_by, retired_at, retired_by
            from moderation.text_models {where}
            """);
        if (version is { } id)
        {
            command.Parameters.Add(new() { Value = id });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new List<TextModelVersion>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var snapshot = new TrainingSnapshot(reader.GetInt32(6), reader.GetInt32(7), reader.GetInt32(8), reader.GetInt32(9),
                reader.GetInt32(10), reader.GetInt64(11), reader.GetFieldValue<DateTimeOffset>(12), reader.GetString(13));
            var metrics = new HeldOutMetrics(reader.IsDBNull(14) ? null : reader.GetDouble(14), reader.GetDouble(15), reader.GetDouble(16),
                reader.GetDouble(17));
            versions.Add(new TextModelVersion(
                reader.GetInt64(0), Parse(reader.GetString(1)), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3),
                reader.GetString(4), TimeSpan.FromMilliseconds(reader.GetInt32(5)), snapshot, metrics, reader.GetString(18),
                reader.GetInt32(19),
                reader.IsDBNull(20) ? null : reader.GetFieldValue<DateTimeOffset>(20), reader.IsDBNull(21) ? null : reader.GetString(21),
                reader.IsDBNull(22) ? null : reader.GetFieldValue<DateTimeOffset>(22), reader.IsDBNull(23) ? null : reader.GetString(23)));
        }

        return versions;
    }

    private static TextModelStatus Parse(string status) => status switch
    {
        "shadow" => TextModelStatus.Shadow,
        "active" => TextModelStatus.Active,
        "retired" => TextModelStatus.Retired,
        _ => throw new InvalidDataException($"Unknown text model status '{status}'."),
    };

    private static string Name(TextModelStatus status) => status.ToString().ToLowerInvariant();
}
