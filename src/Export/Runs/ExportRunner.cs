using System.Collections.Concurrent;
using System.Data;
using System.Text.Json;
using AiSocial.Export.Datasets;
using AiSocial.Export.Parquet;
using AiSocial.Export.Storage;
using AiSocial.Export.Writing;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Database;
using AiSocial.Moderation.Policy;
using AiSocial.Problems;
using Azure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Export.Runs;

/// <summary>A full run writes every eligible row; an incremental one only those no run has published yet, and carries the revocations.</summary>
public enum ExportRunKind
{
    Full,
    Incremental,
}

/// <summary>How a run ended: published (with its manifest) or cancelled (nothing published).</summary>
public sealed record ExportRunResult(Guid RunId, ExportRunStatus Status, string Output, ExportManifest? Manifest);

/// <summary>
/// Runs a dataset's export: one run of a dataset at a time across the cluster (a partial unique index), progress and a
/// heartbeat in <c>export.runs</c>, cancellable, and published whole or not at all. A run is staged in
/// <c>{root}/{dataset}/.staging-{runId:N}/</c>, described (revocations.parquet, croissant.json, README.md, then
/// manifest.json last) and renamed into <c>{root}/{dataset}/{runId}/</c>; the transaction that marks it succeeded moves
/// its staged rows into <c>export.published_rows</c> and applies its revocations. A run whose process died leaves a
/// running row with an old heartbeat: the next start of the dataset fails it, deletes its files and staged rows, and
/// starts clean. Every start, success, cancellation and failure is audited.
/// </summary>
public sealed class ExportRunner
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly DatasetSpecs _specs;
    private readonly DatasetWriter _writer;
    private readonly AuditLog _audit;
    private readonly ExportTelemetry _telemetry;
    private readonly ExportOptions _options;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly IExportShardQueue? _queue;
    private readonly ILogger<ExportRunner> _logger;
    private readonly BlobRunStore? _blobs;
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<Guid, Task> _background = new();

    /// <summary>
    /// Ranges this node writes for the cluster at once, whatever the scheduler's thread count: each holds a row group
    /// (up to 100 MB), so three at most keep a node's memory where one process's run keeps it.
    /// </summary>
    private readonly SemaphoreSlim _rangeSlots = new(Math.Clamp(Environment.ProcessorCount, 1, 3));

    internal ExportRunner(NpgsqlDataSource dataSource, DatasetSpecs specs, DatasetWriter writer, AuditLog audit, ExportTelemetry telemetry,
        IOptions<ExportOptions> options, IHostApplicationLifetime? lifetime, IExportShardQueue? queue, ILogger<ExportRunner> logger,
        BlobRunStore? blobs = null)
    {
        _queue = queue;
        _dataSource = dataSource;
        _specs = specs;
        _writer = writer;
        _audit = audit;
        _telemetry = telemetry;
        _options = options.Value;
        _lifetime = lifetime;
        _logger = logger;
        _blobs = blobs;
    }

    private sealed record PreviousRun(Guid Id, string Version, DateTimeOffset SnapshotAt, int? SpecVersion, ExportManifest? Manifest);

    private sealed record Run(Guid Id, StoredDatasetSpec Dataset, ExportRunKind Kind, Actor Actor, string Output, string Staging,
        PreviousRun? Previous, DateTimeOffset? Watermark);

    /// <summary>What a run's snapshot said, saved in <c>export.runs.plan</c> for whichever node publishes the run.</summary>
    private sealed record RunPlan(WritePlan Write, DateTimeOffset SnapshotAt, long LedgerHead, string? LedgerHeadHash, string PolicyVersion,
        IReadOnlyDictionary<string, string> ModelVersions, DateTimeOffset DataAsOf, Guid? ActorAccountId)
    {
        public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    }

    /// <summary>Starts a run in the background of this host and returns its id; refused when the dataset is unknown or already running.</summary>
    public async Task<Outcome<Guid>> StartAsync(string dataset, Actor actor, ExportRunKind kind, CancellationToken cancellationToken)
    {
        var begun = await BeginAsync(dataset, actor, kind, null, cancellationToken);
        if (begun.Refusal is { } refusal)
        {
            return refusal;
        }

        var run = begun.Value;
        var stopping = _lifetime?.ApplicationStopping ?? CancellationToken.None;
        _background[run.Id] = Task.Run(async () =>
        {
            try
            {
                await ExecuteAsync(run, null, queue: true, stopping);
            }
            catch (Exception exception)
            {
                _logger.LogError(exception, "Export run {RunId} of {Dataset} failed", run.Id, dataset);
            }
            finally
            {
                _background.TryRemove(run.Id, out _);
            }
        }, CancellationToken.None);
        return run.Id;
    }

    /// <summary>Completes when a run this process started in the background has ended (at once for any other run).</summary>
    internal Task WhenFinishedAsync(Guid runId) => _background.TryGetValue(runId, out var task) ? task : Task.CompletedTask;

    /// <summary>
    /// Runs the dataset now and returns when it is published or cancelled; <paramref name="output"/> publishes to that new or
    /// empty directory instead of under the export root. Refused when the dataset is unknown or already running, or the
    /// output is not empty; a failure is recorded, cleaned up and thrown.
    /// </summary>
    public async Task<Outcome<ExportRunResult>> RunAsync(string dataset, Actor actor, ExportRunKind kind, string? output, IProgress<RunProgress>? progress,
        CancellationToken cancellationToken)
    {
        var begun = await BeginAsync(dataset, actor, kind, output, cancellationToken);
        if (begun.Refusal is { } refusal)
        {
            return refusal;
        }

        return await ExecuteAsync(begun.Value, progress, queue: false, cancellationToken);
    }

    /// <summary>Asks a running run to stop: it ends cancelled with nothing published, on whichever node runs it.</summary>
    public async Task<Outcome<Guid>> CancelAsync(Guid runId, Actor actor, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string? dataset;
        await using (var command = new NpgsqlCommand(
            """
            update export.runs r set cancel_requested = true from export.datasets d
            where r.id = $1 and d.id = r.dataset_id and r.status = 'running'
            returning d.name
            """, connection))
        {
            command.Parameters.Add(new() { Value = runId });
            dataset = (string?)await command.ExecuteScalarAsync(cancellationToken);
        }

        if (dataset is null)
        {
            await using var command = new NpgsqlCommand("select status from export.runs where id = $1", connection);
            command.Parameters.Add(new() { Value = runId });
            return await command.ExecuteScalarAsync(cancellationToken) is string status
                ? new Refusal(ExportProblems.RunNotRunning, $"Run {runId} is not running; it {status}.")
                : new Refusal(CommonProblems.NotFound, $"There is no export run {runId}.");
        }

        await _audit.AppendAsync(connection, actor, "export.cancel_request", "dataset", dataset, new { runId }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (_running.TryGetValue(runId, out var running))
        {
            await running.CancelAsync();
        }

        return runId;
    }

    private async Task<Outcome<Run>> BeginAsync(string name, Actor actor, ExportRunKind kind, string? output, CancellationToken cancellationToken)
    {
        var dataset = await _specs.FindAsync(name, cancellationToken);
        if (dataset is null)
        {
            var known = (await _specs.ListAsync(cancellationToken)).Select(d => d.Spec.Name);
            return new Refusal(CommonProblems.NotFound, $"There is no dataset named '{name}'. Known: {string.Join(", ", known)}.");
        }

        var runId = Guid.CreateVersion7();
        if (output is not null)
        {
            output = Path.GetFullPath(output);
            if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() || File.Exists(output))
            {
                return new Refusal(ExportProblems.ExportTargetExists, $"{output} already exists and is not empty; choose a new directory.");
            }
        }
        else
        {
            output = Path.Combine(Path.GetFullPath(_options.Root), name, runId.ToString());
        }

        await RecoverStaleAsync(dataset.DatasetId, cancellationToken);
        var previous = await PreviousAsync(dataset.DatasetId, cancellationToken);
        var watermark = kind == ExportRunKind.Incremental ? previous?.SnapshotAt : null;
        var run = new Run(runId, dataset, kind, actor, output, StagingFor(runId, output), previous, watermark);

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            """
            insert into export.runs (id, dataset_id, status, requested_by, output, spec_version, kind, watermark, phase, heartbeat_at, node)
            values ($1, $2, 'running', $3, $4, $5, $6, $7, 'queued', now(), $8)
            """, connection))
        {
            command.Parameters.Add(new() { Value = runId });
            command.Parameters.Add(new() { Value = dataset.DatasetId });
            command.Parameters.Add(new() { Value = actor.Name });
            command.Parameters.Add(new() { Value = output });
            command.Parameters.Add(new() { Value = dataset.Version });
            command.Parameters.Add(new() { Value = kind.ToDatabase() });
            command.Parameters.Add(new() { Value = (object?)watermark ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new() { Value = Environment.MachineName });
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException exception) when (exception is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "runs_one_running" })
            {
                return await InProgressAsync(dataset, cancellationToken);
            }
        }

        await _audit.AppendAsync(connection, actor, "export.start", "dataset", name,
            new { runId, kind = kind.ToDatabase(), specVersion = dataset.Version, output }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return run;
    }

    // Next to the output, so publishing is a rename on one file system: {root}/{dataset}/.staging-{runId:N}.
    private static string StagingFor(Guid runId, string output) => Path.Combine(Path.GetDirectoryName(output)!, $".staging-{runId:N}");

    private async Task<Refusal> InProgressAsync(StoredDatasetSpec dataset, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "select id, requested_by, started_at, coalesce(phase, ''), rows_seen from export.runs where dataset_id = $1 and status = 'running'");
        command.Parameters.Add(new() { Value = dataset.DatasetId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return new Refusal(ExportProblems.RunInProgress, $"Another run of '{dataset.Spec.Name}' was starting; try again.") { RetryAfter = TimeSpan.FromSeconds(5) };
        }

        var runId = reader.GetGuid(0);
        return new Refusal(ExportProblems.RunInProgress,
            $"Run {runId} of '{dataset.Spec.Name}', started by {reader.GetString(1)} at {reader.GetFieldValue<DateTimeOffset>(2):u}, is still running " +
            $"({reader.GetString(3)}, {reader.GetInt64(4)} rows seen); wait for it or cancel it.")
        {
            Extensions = new Dictionary<string, object?> { ["runId"] = runId },
            RetryAfter = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>Fails the dataset's running runs whose heartbeat stopped (their process died), and removes everything they left.</summary>
    internal async Task RecoverStaleAsync(Guid datasetId, CancellationToken cancellationToken)
    {
        var stale = new List<(Guid Id, string Output, string Dataset)>();
        await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await using (var command = new NpgsqlCommand(
                """
                update export.runs r
                set status = 'failed', finished_at = now(),
                    error = 'killed: no heartbeat since ' || to_char(coalesce(r.heartbeat_at, r.started_at) at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC (node ' || coalesce(r.node, '?') || ')'
                from export.datasets d
                where r.dataset_id = $1 and d.id = r.dataset_id and r.status = 'running'
                  and coalesce(r.heartbeat_at, r.started_at) < now() - $2
                returning r.id, r.output, d.name
                """, connection))
            {
                command.Parameters.Add(new() { Value = datasetId });
                command.Parameters.Add(new() { Value = _options.StaleAfter });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    stale.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
                }
            }

            foreach (var (id, output, dataset) in stale)
            {
                await DropUnpublishedAsync(connection, id, cancellationToken);
                await _audit.AppendAsync(connection, Actor.System("export"), "export.fail", "dataset", dataset,
                    new { runId = id, error = "killed midway: its heartbeat stopped; cleaned up by the next start" }, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        foreach (var (id, output, dataset) in stale)
        {
            _logger.LogWarning("Export run {RunId} of {Dataset} stopped sending heartbeats; failed it and deleted what it left", id, dataset);
            DeleteDirectory(StagingFor(id, output));
            DeleteDirectory(output);
            await WithdrawUploadAsync(dataset, id);
        }
    }

    private async Task<PreviousRun?> PreviousAsync(Guid datasetId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            """
            select id, version, snapshot_at, spec_version, manifest::text from export.runs
            where dataset_id = $1 and status = 'succeeded' and version is not null
            order by finished_at desc limit 1
            """);
        command.Parameters.Add(new() { Value = datasetId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new PreviousRun(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.IsDBNull(3) ? null : reader.GetInt32(3),
            reader.IsDBNull(4) ? null : JsonSerializer.Deserialize<ExportManifest>(reader.GetString(4), ExportManifest.Json));
    }

    /// <summary>
    /// Plans the run in its snapshot here, then writes its ranges of shards: queued as jobs any node may take when
    /// <paramref name="queue"/> and this host has a queue that accepts them, else here,
    /// <see cref="DatasetWriter.RangesAtOnce"/> at a time. Either way each range is written and recorded by <see cref="WriteRangeAsync(Run, int, string, RunReporter, Action, CancellationToken)"/>
    /// and the range that is last publishes the run.
    /// </summary>
    private async Task<ExportRunResult> ExecuteAsync(Run run, IProgress<RunProgress>? progress, bool queue, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _running[run.Id] = cancel;
        var reporter = new RunReporter(progress);
        using var stopHeartbeat = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(run.Id, reporter, cancel, stopHeartbeat.Token);
        var published = false;
        try
        {
            using var activity = ExportTelemetry.Activities.StartActivity("export run");
            activity?.SetTag("aisocial.dataset", run.Dataset.Spec.Name);
            var ranges = await PlanAsync(run, reporter, cancel.Token);
            if (queue && _queue is not null && await _queue.EnqueueAsync(run.Id, ranges, cancel.Token))
            {
                _logger.LogInformation("Export run {RunId} of {Dataset} planned; its {Ranges} ranges of shards are queued for the cluster", run.Id,
                    run.Dataset.Spec.Name, ranges);
                return new ExportRunResult(run.Id, ExportRunStatus.Running, run.Output, null);
            }

            var manifests = new ConcurrentBag<ExportManifest>();
            await Parallel.ForEachAsync(Enumerable.Range(0, ranges),
                new ParallelOptions { MaxDegreeOfParallelism = DatasetWriter.RangesAtOnce(run.Dataset.Spec), CancellationToken = cancel.Token },
                async (range, ct) =>
                {
                    if (await WriteRangeAsync(run, range, RunShards.Node, reporter, () => published = true, ct) is { } manifest)
                    {
                        manifests.Add(manifest);
                    }
                });
            return new ExportRunResult(run.Id, ExportRunStatus.Succeeded, run.Output, manifests.Single());
        }
        catch (OperationCanceledException exception) when (cancel.IsCancellationRequested || exception is RunCancelledException)
        {
            await AbandonAsync(run, published, ExportRunStatus.Cancelled, "cancelled before it was published", reporter.Latest);
            _logger.LogInformation("Export run {RunId} of {Dataset} was cancelled", run.Id, run.Dataset.Spec.Name);
            return new ExportRunResult(run.Id, ExportRunStatus.Cancelled, run.Output, null);
        }
        catch (Exception exception)
        {
            await AbandonAsync(run, published, ExportRunStatus.Failed, exception.Message, reporter.Latest);
            throw;
        }
        finally
        {
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            _running.TryRemove(run.Id, out _);
        }
    }

    /// <summary>
    /// Writes range <paramref name="range"/> of run <paramref name="runId"/>: what a job on any node of the cluster does
    /// (the run was planned by <see cref="StartAsync"/> on whichever node started it). The range that completes the
    /// run's last shard publishes it, here. A run that is no longer running is left alone; a cancelled run is ended
    /// cancelled and a failed range fails the run, publishing nothing, so the run's other ranges stop at their next
    /// heartbeat or do nothing when they start. <paramref name="node"/> names the node in the plan (a scheduler's instance id).
    /// </summary>
    public async Task WriteShardRangeAsync(Guid runId, int range, string node, CancellationToken cancellationToken)
    {
        var loaded = await LoadRunAsync(runId, cancellationToken);
        if (loaded is not { } found)
        {
            _logger.LogInformation("Range {Range} of export run {RunId} has nothing to do: the run is not running", range, runId);
            return;
        }

        await _rangeSlots.WaitAsync(cancellationToken);
        try
        {
            await WriteClaimedRangeAsync(found.Run, found.Progress, range, node, cancellationToken);
        }
        finally
        {
            _rangeSlots.Release();
        }
    }

    private async Task WriteClaimedRangeAsync(Run run, RunProgress latest, int range, string node, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reporter = new RunReporter(null);
        reporter.Report(latest);
        using var stopHeartbeat = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(run.Id, reporter, cancel, stopHeartbeat.Token);
        var published = false;
        try
        {
            using var activity = ExportTelemetry.Activities.StartActivity("export shard range");
            activity?.SetTag("aisocial.dataset", run.Dataset.Spec.Name);
            await ThrowIfCancelRequestedAsync(run.Id, cancel.Token);
            await WriteRangeAsync(run, range, node, reporter, () => published = true, cancel.Token);
        }
        catch (OperationCanceledException exception) when (cancel.IsCancellationRequested || exception is RunCancelledException)
        {
            // Stopped by the host, or the run was cancelled or ended elsewhere: only a run still running is marked cancelled.
            if (!cancellationToken.IsCancellationRequested)
            {
                await AbandonAsync(run, published, ExportRunStatus.Cancelled, "cancelled before it was published", reporter.Latest);
            }

            _logger.LogInformation("Range {Range} of export run {RunId} stopped: the run was cancelled or ended", range, run.Id);
        }
        catch (Exception exception)
        {
            await AbandonAsync(run, published, ExportRunStatus.Failed, $"range {range}: {exception.Message}", reporter.Latest);
            throw;
        }
        finally
        {
            await stopHeartbeat.CancelAsync();
            await heartbeat;
        }
    }

    /// <summary>Writes one range and records it; the range that completes the run publishes it and returns its manifest.</summary>
    private async Task<ExportManifest?> WriteRangeAsync(Run run, int range, string node, RunReporter reporter, Action moved, CancellationToken cancellationToken)
    {
        var written = await _writer.WriteRangeAsync(run.Id, range, run.Dataset.Spec, run.Staging, null, cancellationToken);
        var completion = await RunShards.CompleteAsync(_dataSource, run.Id, written.Files, written.PeakRssBytes, node, cancellationToken);
        if (completion.CancelRequested)
        {
            throw new RunCancelledException();
        }

        if (!completion.Running)
        {
            throw new InvalidOperationException($"Run {run.Id} is no longer running (another node failed it); range {range} is not recorded.");
        }

        var latest = reporter.Latest;
        reporter.Report(latest with { Phase = "write", RowsWritten = completion.RowsWritten, BytesWritten = completion.BytesWritten });
        return completion.Last ? await PublishAsync(run, reporter, moved, cancellationToken) : null;
    }

    /// <summary>The snapshot part of a run: reads what the manifest names, plans every row and shard, and saves the plan in the run's row.</summary>
    private async Task<int> PlanAsync(Run run, RunReporter reporter, CancellationToken cancellationToken)
    {
        var spec = run.Dataset.Spec;
        reporter.Report(new RunProgress("snapshot", 0, 0, 0, 0));
        Directory.CreateDirectory(run.Staging);

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var snapshot = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        DateTimeOffset snapshotAt;
        await using (var command = new NpgsqlCommand($"{DatasetCandidates.SnapshotSettings}; select now()", connection))
        {
            // Npgsql reads timestamptz as a UTC DateTime.
            snapshotAt = new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync(cancellationToken))!, TimeSpan.Zero);
        }

        var ledgerHead = await TrainingCandidates.LedgerHeadAsync(connection, cancellationToken);
        var ledgerHeadHash = await ConsentLedger.HeadHashAsync(connection, cancellationToken);
        var policyVersion = await PolicyStore.ActiveLabelAsync(connection, cancellationToken);
        var modelVersions = await ModelVersionsAsync(connection, cancellationToken);
        var dataAsOf = await DataAsOfAsync(connection, cancellationToken);

        reporter.Report(new RunProgress("write", 0, 0, 0, 0));
        var request = new WriteRequest(spec, run.Dataset.Version, run.Id, run.Staging, snapshotAt, run.Kind == ExportRunKind.Incremental,
            _options.ShardsPerJob, _options.NearDuplicateBlock);
        var written = await _writer.PlanAsync(connection, request, reporter, cancellationToken);
        await snapshot.CommitAsync(cancellationToken);

        var plan = new RunPlan(written, snapshotAt, ledgerHead, ledgerHeadHash, policyVersion, modelVersions, dataAsOf, run.Actor.AccountId);
        await using var save = _dataSource.CreateCommand(
            """
            update export.runs set plan = $2, phase = 'write', rows_seen = $3, rows_written = 0, rows_excluded = $4, bytes_written = 0,
                peak_rss_bytes = $5, heartbeat_at = now()
            where id = $1 and status = 'running'
            """);
        save.Parameters.Add(new() { Value = run.Id });
        save.Parameters.Add(new() { Value = JsonSerializer.Serialize(plan, RunPlan.Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        save.Parameters.Add(new() { Value = written.RowsSeen });
        save.Parameters.Add(new() { Value = written.Excluded.Values.Sum() });
        save.Parameters.Add(new() { Value = written.PeakRssBytes });
        if (await save.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new InvalidOperationException($"Run {run.Id} is no longer running (another node failed it as stale).");
        }

        reporter.Report(new RunProgress("write", written.RowsSeen, 0, written.Excluded.Values.Sum(), 0));
        return written.Ranges;
    }

    /// <summary>
    /// Publishes a run whose shards are all written, on whichever node wrote the last: its documents from the plan its
    /// snapshot made, then the manifest last, the rename, and the success. The same on one node or many, so both publish
    /// the same files.
    /// </summary>
    private async Task<ExportManifest> PublishAsync(Run run, RunReporter reporter, Action moved, CancellationToken cancellationToken)
    {
        var spec = run.Dataset.Spec;
        var (plan, peakRss) = await PlanOfAsync(run.Id, cancellationToken);
        var (snapshotAt, ledgerHead, ledgerHeadHash, policyVersion, modelVersions, dataAsOf) =
            (plan.SnapshotAt, plan.LedgerHead, plan.LedgerHeadHash, plan.PolicyVersion, plan.ModelVersions, plan.DataAsOf);
        var written = plan.Write.Normalized().Result(await RunShards.FilesAsync(_dataSource, run.Id, cancellationToken),
            DatasetColumns.Select(spec.Columns).Info, Math.Max(peakRss, Environment.WorkingSet));
        DeleteDirectory(Path.Combine(run.Staging, ".shards"));
        var excludedTotal = written.Excluded.Values.Sum();
        var dataBytes = written.Files.Sum(f => f.Bytes);
        reporter.Report(new RunProgress("publish", written.RowsSeen, written.RowsWritten, excludedTotal, dataBytes));
        await ThrowIfCancelRequestedAsync(run.Id, cancellationToken);

        var (added, removed) = await ChangesAsync(run, cancellationToken);
        var version = NextVersion(run, written, added, removed);
        var revoked = await RevokedRowsAsync(run, snapshotAt, cancellationToken);
        var splits = RowKeys.Splits.Where(s => written.Files.Any(f => f.Split == s))
            .ToDictionary(s => s, s => written.Files.Where(f => f.Split == s).Sum(f => f.Rows));
        var revocations = await RunDocuments.WriteAsync(run.Staging, RunDocuments.RevocationsFile,
            await RunDocuments.RevocationsAsync(revoked, cancellationToken), cancellationToken);
        var content = new RunContent(spec, run.Dataset.Version, version, Url(spec.Name), dataAsOf, policyVersion, ledgerHeadHash, modelVersions, written, splits,
            revocations, revoked.Count);
        var croissant = await RunDocuments.WriteAsync(run.Staging, RunDocuments.Croissant, RunDocuments.CroissantJson(content), cancellationToken);
        var card = await RunDocuments.WriteAsync(run.Staging, RunDocuments.Card, RunDocuments.DatasetCard(content), cancellationToken);

        var files = written.Files.OrderBy(f => f.Path, StringComparer.Ordinal)
            .Select(f => new ShardFile(f.Path, f.Rows, f.Bytes, f.Sha256, f.Split))
            .Append(revocations with { Rows = revoked.Count }).Append(croissant).Append(card).ToList();
        var manifest = new ExportManifest(spec.Name, run.Id, spec.Purpose, snapshotAt, ledgerHead, policyVersion, written.RowsWritten,
            written.Excluded, files, DateTimeOffset.UtcNow, run.Actor.Name, ledgerHeadHash,
            Spec: spec.WithoutSalt(), SpecVersion: run.Dataset.Version, Version: version, Kind: run.Kind.ToDatabase(), Watermark: run.Watermark,
            ModelVersions: modelVersions, Scrubbed: written.Scrubbed, DuplicatesCollapsed: written.DuplicatesCollapsed, Clusters: written.Clusters,
            Revoked: written.RevokedByReason, Splits: splits, PeakRssBytes: written.PeakRssBytes);
        await using (var stream = new FileStream(Path.Combine(run.Staging, ExportManifest.FileName), FileMode.CreateNew, FileAccess.Write))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, ExportManifest.Json, cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (Directory.Exists(run.Output))
        {
            Directory.Delete(run.Output); // an empty directory given as --out
        }

        Directory.Move(run.Staging, run.Output);
        moved();
        await UploadAsync(run, reporter, cancellationToken);
        // From here the run's end is this node's to record: the heartbeat, which may be waiting on the row's lock while the
        // success commits, then finds the run no longer running and must not take that for an end decided elsewhere.
        reporter.Recording = true;
        await RecordSuccessAsync(run, manifest, written, CancellationToken.None);
        reporter.Report(new RunProgress("published", written.RowsSeen, written.RowsWritten, excludedTotal, files.Sum(f => f.Bytes)));

        var tag = new KeyValuePair<string, object?>("dataset", spec.Name);
        _telemetry.Rows.Add(manifest.RowsIncluded, tag);
        _telemetry.Bytes.Add(dataBytes, tag);
        _logger.LogInformation("Published {Dataset} {Version} (run {RunId}): {Rows} rows to {Output}", spec.Name, version, run.Id, written.RowsWritten, run.Output);
        return manifest;
    }

    /// <summary>
    /// With a Blob container configured, publishes the run there too (the manifest last) before it counts as succeeded; a
    /// failed upload fails the run, and the run's abandonment removes what went up along with the directory.
    /// </summary>
    private async Task UploadAsync(Run run, RunReporter reporter, CancellationToken cancellationToken)
    {
        if (_blobs is null)
        {
            return;
        }

        var at = reporter.Latest;
        reporter.Report(at with { Phase = "upload", BytesWritten = 0 });
        try
        {
            await _blobs.PublishAsync(run.Output, run.Dataset.Spec.Name, run.Id,
                new UploadReporter(sent => reporter.Report(at with { Phase = "upload", BytesWritten = sent.Bytes })), cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var reason = exception is RequestFailedException failure
                ? $"{failure.Message.Split('\n')[0].Trim()} ({failure.Status} {failure.ErrorCode})"
                : exception.Message;
            throw new InvalidOperationException($"Could not upload the run to Blob container '{_blobs.ContainerName}', so it is not published: {reason}", exception);
        }
    }

    private async Task<(RunPlan Plan, long PeakRssBytes)> PlanOfAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("select plan::text, coalesce(peak_rss_bytes, 0) from export.runs where id = $1");
        command.Parameters.Add(new() { Value = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(0))
        {
            throw new InvalidOperationException($"Run {runId} has no plan.");
        }

        var plan = JsonSerializer.Deserialize<RunPlan>(reader.GetString(0), RunPlan.Json)!;
        return (plan with { ModelVersions = new SortedDictionary<string, string>(plan.ModelVersions.ToDictionary(), StringComparer.Ordinal) }, reader.GetInt64(1));
    }

    /// <summary>A planned run still running, as the node that started it had it, with its progress so far; null when it is not running.</summary>
    private async Task<(Run Run, RunProgress Progress)?> LoadRunAsync(Guid runId, CancellationToken cancellationToken)
    {
        Run run;
        RunProgress progress;
        await using (var command = _dataSource.CreateCommand(
            """
            select r.dataset_id, s.spec::text, s.version, s.created_at, s.created_by, r.kind, r.requested_by, r.output, r.watermark, r.plan::text,
                   coalesce(r.phase, ''), r.rows_seen, r.rows_written, r.rows_excluded, r.bytes_written
            from export.runs r join export.dataset_specs s on s.dataset_id = r.dataset_id and s.version = r.spec_version
            where r.id = $1 and r.status = 'running' and r.plan is not null
            """))
        {
            command.Parameters.Add(new() { Value = runId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            var dataset = new StoredDatasetSpec(reader.GetGuid(0), JsonSerializer.Deserialize<DatasetSpec>(reader.GetString(1), DatasetSpec.Json)!,
                reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4));
            var plan = JsonSerializer.Deserialize<RunPlan>(reader.GetString(9), RunPlan.Json)!;
            var output = reader.GetString(7);
            run = new Run(runId, dataset, DatabaseNames.Parse<ExportRunKind>(reader.GetString(5)), new Actor(plan.ActorAccountId, reader.GetString(6)),
                output, StagingFor(runId, output), null, reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8));
            progress = new RunProgress(reader.GetString(10), reader.GetInt64(11), reader.GetInt64(12), reader.GetInt64(13), reader.GetInt64(14));
        }

        // One run of a dataset at a time: the last succeeded run is the one it started after.
        return (run with { Previous = await PreviousAsync(run.Dataset.DatasetId, cancellationToken) }, progress);
    }

    private string Url(string dataset) => _options.PublicUrl is { Length: > 0 } url
        ? $"{url.TrimEnd('/')}/api/v1/datasets/{dataset}"
        : $"urn:aisocial:dataset:{dataset}";

    /// <summary>
    /// Semver: the first run is 1.0.0; a run that removes rows is a major bump, one that only adds rows a minor one, any
    /// other change (another spec version, changed rows) a patch. A full run with the same spec whose shards are identical
    /// to the last published ones is the same version, so a rerun on unchanged data publishes identical files.
    /// </summary>
    private static string NextVersion(Run run, WriteResult written, long added, long removed)
    {
        if (run.Previous is null)
        {
            return "1.0.0";
        }

        var parts = run.Previous.Version.Split('.').Select(int.Parse).ToArray();
        if (removed > 0)
        {
            return $"{parts[0] + 1}.0.0";
        }

        if (added > 0)
        {
            return $"{parts[0]}.{parts[1] + 1}.0";
        }

        var previousShards = run.Previous.Manifest?.Files.Where(f => f.Path.StartsWith("data/", StringComparison.Ordinal))
            .Select(f => (f.Path, f.Sha256)).Order().ToList() ?? [];
        var shards = written.Files.Select(f => (f.Path, f.Sha256)).Order().ToList();
        var unchanged = run.Kind == ExportRunKind.Full && run.Previous.Manifest?.Kind is null or "full"
            && run.Previous.SpecVersion == run.Dataset.Version && previousShards.SequenceEqual(shards);
        return unchanged ? run.Previous.Version : $"{parts[0]}.{parts[1]}.{parts[2] + 1}";
    }

    /// <summary>Rows this run adds to what is published, and published rows it removes (revoked, or left out of a full run).</summary>
    private async Task<(long Added, long Removed)> ChangesAsync(Run run, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            """
            select
                (select count(*) from export.run_rows r where r.run_id = $1 and not exists (
                    select 1 from export.published_rows p where p.dataset_id = $2 and p.row_key = r.row_key and p.revoked_at is null)),
                (select count(*) from export.run_revocations where run_id = $1)
                + case when $3 then (select count(*) from export.published_rows p where p.dataset_id = $2 and p.revoked_at is null
                    and not exists (select 1 from export.run_rows r where r.run_id = $1 and r.row_key = p.row_key)
                    and not exists (select 1 from export.run_revocations v where v.run_id = $1 and v.row_key = p.row_key)) else 0 end
            """);
        command.Parameters.Add(new() { Value = run.Id });
        command.Parameters.Add(new() { Value = run.Dataset.DatasetId });
        command.Parameters.Add(new() { Value = run.Kind == ExportRunKind.Full });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Every row of the dataset revoked so far and not published again by this run, and those this run revokes (as of its snapshot), in row-key order.</summary>
    private async Task<IReadOnlyList<RevokedRow>> RevokedRowsAsync(Run run, DateTimeOffset snapshotAt, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            """
            select p.row_key, p.post_id, p.shard, p.revoked_reason, p.revoked_at from export.published_rows p
            where p.dataset_id = $2 and p.revoked_at is not null
              and not exists (select 1 from export.run_rows r where r.run_id = $1 and r.row_key = p.row_key)
            union all
            select r.row_key, r.post_id, r.shard, r.reason, $3 from export.run_revocations r where r.run_id = $1
            order by 1
            """);
        command.Parameters.Add(new() { Value = run.Id });
        command.Parameters.Add(new() { Value = run.Dataset.DatasetId });
        command.Parameters.Add(new() { Value = snapshotAt });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<RevokedRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new RevokedRow(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return rows;
    }

    private static async Task<IReadOnlyDictionary<string, string>> ModelVersionsAsync(NpgsqlConnection snapshot, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "select source, string_agg(distinct model_version, ', ' order by model_version) from moderation.signals group by source order by source", snapshot);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new SortedDictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions[reader.GetString(0)] = reader.GetString(1);
        }

        return versions;
    }

    /// <summary>The newest change in what a run reads (posts, consent, labels, signals): data, so a rerun on unchanged data gets the same time.</summary>
    private static async Task<DateTimeOffset> DataAsOfAsync(NpgsqlConnection snapshot, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            select greatest(
                (select max(greatest(created_at, published_at, deleted_at)) from ingest.posts),
                (select max(occurred_at) from ingest.consent_events),
                (select max(created_at) from moderation.signals))
            """, snapshot);
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : DateTimeOffset.UnixEpoch;
    }

    private async Task ThrowIfCancelRequestedAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("select cancel_requested from export.runs where id = $1");
        command.Parameters.Add(new() { Value = runId });
        if (await command.ExecuteScalarAsync(cancellationToken) is true)
        {
            throw new RunCancelledException();
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Saves the progress and heartbeat at each interval; a cancellation asked for on any node, or the run's end elsewhere
    /// (a range that failed on another node), stops the run's work here.
    /// </summary>
    private async Task HeartbeatAsync(Guid runId, RunReporter reporter, CancellationTokenSource cancel, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    if (await SaveProgressAsync(runId, reporter.Latest, stop) && !reporter.Recording)
                    {
                        await cancel.CancelAsync();
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    _logger.LogWarning(exception, "Could not save the progress of export run {RunId}", runId);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> SaveProgressAsync(Guid runId, RunProgress progress, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            """
            update export.runs set heartbeat_at = now(), phase = $2, rows_seen = $3, rows_written = $4, rows_excluded = $5, bytes_written = $6
            where id = $1 and status = 'running'
            returning cancel_requested
            """);
        command.Parameters.Add(new() { Value = runId });
        command.Parameters.Add(new() { Value = progress.Phase });
        command.Parameters.Add(new() { Value = progress.RowsSeen });
        command.Parameters.Add(new() { Value = progress.RowsWritten });
        command.Parameters.Add(new() { Value = progress.RowsExcluded });
        command.Parameters.Add(new() { Value = progress.BytesWritten });
        return await command.ExecuteScalarAsync(cancellationToken) is not false;
    }

    private async Task RecordSuccessAsync(Run run, ExportManifest manifest, WriteResult written, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            """
            update export.runs set status = 'succeeded', finished_at = now(), snapshot_at = $2, manifest = $3, version = $4, phase = 'published',
                rows_seen = $5, rows_written = $6, rows_excluded = $7, bytes_written = $8, peak_rss_bytes = $9, heartbeat_at = now()
            where id = $1 and status = 'running'
            """, connection))
        {
            command.Parameters.Add(new() { Value = run.Id });
            command.Parameters.Add(new() { Value = manifest.SnapshotAt });
            command.Parameters.Add(new() { Value = JsonSerializer.Serialize(manifest, ExportManifest.Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            command.Parameters.Add(new() { Value = manifest.Version! });
            command.Parameters.Add(new() { Value = written.RowsSeen });
            command.Parameters.Add(new() { Value = written.RowsWritten });
            command.Parameters.Add(new() { Value = written.Excluded.Values.Sum() });
            command.Parameters.Add(new() { Value = manifest.Files.Sum(f => f.Bytes) });
            command.Parameters.Add(new() { Value = written.PeakRssBytes });
            if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new InvalidOperationException($"Run {run.Id} is no longer running (another node failed it as stale); it is not published.");
            }
        }

        // Every row it wrote is now published (a row published before, even revoked, points at this run); then its revocations apply.
        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    """
                    insert into export.published_rows (dataset_id, row_key, post_id, run_id, split, shard, published_at)
                    select $2, r.row_key, r.post_id, r.run_id, r.split, s.path, $3
                    from export.run_rows r
                    join export.run_shards s on s.run_id = r.run_id and s.split = r.split and r.seq between s.first_row and s.last_row
                    where r.run_id = $1
                    on conflict (dataset_id, row_key) do update
                    set run_id = excluded.run_id, split = excluded.split, shard = excluded.shard, published_at = excluded.published_at,
                        revoked_run_id = null, revoked_reason = null, revoked_at = null
                    """) { Parameters = { new() { Value = run.Id }, new() { Value = run.Dataset.DatasetId }, new() { Value = manifest.SnapshotAt } } },
                new NpgsqlBatchCommand(
                    """
                    update export.published_rows p set revoked_run_id = $1, revoked_reason = r.reason, revoked_at = $3
                    from export.run_revocations r
                    where r.run_id = $1 and p.dataset_id = $2 and p.row_key = r.row_key and p.revoked_at is null
                    """) { Parameters = { new() { Value = run.Id }, new() { Value = run.Dataset.DatasetId }, new() { Value = manifest.SnapshotAt } } },
            },
        })
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await DropStagedRowsAsync(connection, run.Id, cancellationToken);
        await _audit.AppendAsync(connection, run.Actor, "export.run", "dataset", run.Dataset.Spec.Name,
            new
            {
                runId = run.Id,
                output = run.Output,
                manifest.Version,
                manifest.Kind,
                manifest.SpecVersion,
                manifest.RowsIncluded,
                manifest.Excluded,
                manifest.Revoked,
                manifest.ConsentLedgerHead,
                manifest.ConsentLedgerHeadHash,
                files = manifest.Files.Count,
            },
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Marks a run failed or cancelled, deletes what it staged (files and rows) and audits it, unless it ended already (then
    /// only the files this node may have left go); never throws.
    /// </summary>
    private async Task AbandonAsync(Run run, bool published, ExportRunStatus status, string error, RunProgress progress)
    {
        try
        {
            DeleteDirectory(run.Staging);
            await using var connection = await _dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            // Decided under the run's row lock: a run recorded as succeeded (by this node, just before a late cancellation
            // reached it) keeps its published files; any other end removes what this node published, then records it.
            string? current;
            await using (var command = new NpgsqlCommand("select status from export.runs where id = $1 for update", connection))
            {
                command.Parameters.Add(new() { Value = run.Id });
                current = await command.ExecuteScalarAsync() as string;
            }

            if (current == ExportRunStatus.Succeeded.ToDatabase())
            {
                _logger.LogWarning("Export run {RunId} ended {Status} ({Error}) after it was recorded as succeeded; its published files stay", run.Id,
                    status.ToDatabase(), error);
                return;
            }

            if (published)
            {
                DeleteDirectory(run.Output);
                await WithdrawUploadAsync(run.Dataset.Spec.Name, run.Id);
            }

            await using (var command = new NpgsqlCommand(
                """
                update export.runs set status = $2, finished_at = now(), error = $3, phase = $4, rows_seen = $5, rows_written = $6, rows_excluded = $7
                where id = $1 and status = 'running'
                """, connection))
            {
                command.Parameters.Add(new() { Value = run.Id });
                command.Parameters.Add(new() { Value = status.ToDatabase() });
                command.Parameters.Add(new() { Value = error });
                command.Parameters.Add(new() { Value = progress.Phase });
                command.Parameters.Add(new() { Value = progress.RowsSeen });
                command.Parameters.Add(new() { Value = progress.RowsWritten });
                command.Parameters.Add(new() { Value = progress.RowsExcluded });
                if (await command.ExecuteNonQueryAsync() == 0)
                {
                    // Ended already, by another node's range or the next start: it recorded and audited the end.
                    return;
                }
            }

            await DropUnpublishedAsync(connection, run.Id, CancellationToken.None);
            await _audit.AppendAsync(connection, run.Actor, status == ExportRunStatus.Cancelled ? "export.cancel" : "export.fail", "dataset", run.Dataset.Spec.Name,
                new { runId = run.Id, error, phase = progress.Phase }, CancellationToken.None);
            await transaction.CommitAsync();
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "Could not record the end of export run {RunId}; the next start cleans it up", run.Id);
        }
    }

    /// <summary>What a run stages while it is planned and written, and drops when it ends, published or not.</summary>
    private static readonly string[] StagingTables = ["run_rows", "run_hashes", "run_revocations", "run_shards"];

    private static async Task DropStagedRowsAsync(NpgsqlConnection connection, Guid runId, CancellationToken cancellationToken) =>
        await DeleteRunRowsAsync(connection, runId, StagingTables, cancellationToken);

    /// <summary>Staged rows and, for a run that is not published, the clusters it recorded.</summary>
    private static async Task DropUnpublishedAsync(NpgsqlConnection connection, Guid runId, CancellationToken cancellationToken) =>
        await DeleteRunRowsAsync(connection, runId, [.. StagingTables, "run_duplicates"], cancellationToken);

    /// <summary>Deletes a run's rows from each of the named <c>export</c> tables, in one round trip.</summary>
    private static async Task DeleteRunRowsAsync(NpgsqlConnection connection, Guid runId, IEnumerable<string> tables, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var table in tables)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"delete from export.{table} where run_id = $1") { Parameters = { new() { Value = runId } } });
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Removes from the Blob container whatever a run that did not succeed uploaded (manifest first); a failure is logged, not thrown.</summary>
    private async Task WithdrawUploadAsync(string dataset, Guid runId)
    {
        if (_blobs is null)
        {
            return;
        }

        try
        {
            await _blobs.WithdrawAsync(dataset, runId, CancellationToken.None);
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "Could not remove export run {RunId} of {Dataset} from Blob container {Container}; delete {Prefix} there by hand",
                runId, dataset, _blobs.ContainerName, BlobRunStore.Prefix(dataset, runId));
        }
    }

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>A cancellation asked for in the database, seen before publishing.</summary>
    private sealed class RunCancelledException() : OperationCanceledException("The run was cancelled.");

    private sealed class UploadReporter(Action<BlobUploadProgress> report) : IProgress<BlobUploadProgress>
    {
        public void Report(BlobUploadProgress value) => report(value);
    }

    /// <summary>
    /// Keeps the latest progress for the heartbeat and passes each report on to the caller's progress, on the reporting
    /// thread, one report at a time (ranges written in parallel report from their own threads).
    /// </summary>
    private sealed class RunReporter(IProgress<RunProgress>? progress) : IProgress<RunProgress>
    {
        private readonly Lock _lock = new();
        private RunProgress _latest = new("queued", 0, 0, 0, 0);

        public RunProgress Latest => Volatile.Read(ref _latest);

        /// <summary>Set once this node records the run's success; the run then stops being "running" by this node's own hand.</summary>
        public bool Recording
        {
            get => Volatile.Read(ref _recording);
            set => Volatile.Write(ref _recording, value);
        }

        private bool _recording;

        public void Report(RunProgress value)
        {
            lock (_lock)
            {
                Volatile.Write(ref _latest, value);
                progress?.Report(value);
            }
        }
    }
}
