using System.Data;
using System.Text.Json;
using AiSocial.Export.Datasets;
using AiSocial.Export.Parquet;
using AiSocial.Export.Writing;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Media;
using AiSocial.Moderation.Policy;
using AiSocial.Problems;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Export.Runs;

/// <summary>
/// Exports a dataset: reads posts, consent, opt-outs and labels in one repeatable-read snapshot, decides each post with <see cref="Eligibility"/>,
/// writes Parquet shards and a manifest into a staging directory, and publishes it by renaming it into place, so the
/// output is all there or not there at all. Every run is recorded and audited.
/// </summary>
internal sealed class DatasetExporter(NpgsqlDataSource dataSource, DatasetCatalog catalog, MediaStore media, AuditLog audit,
    ExportTelemetry telemetry, ILogger<DatasetExporter> logger)
{
    public const string Split = "train";

    /// <summary>The published run; refused, with nothing written, for an unknown dataset or an output that already exists.</summary>
    public async Task<Outcome<ExportRun>> RunAsync(string datasetName, string output, Actor actor, IProgress<ExportProgress>? progress,
        CancellationToken cancellationToken)
    {
        var dataset = await catalog.FindAsync(datasetName, cancellationToken);
        if (dataset is null)
        {
            var known = (await catalog.ListAsync(cancellationToken)).Select(d => d.Name);
            return new Refusal(CommonProblems.NotFound, $"There is no dataset named '{datasetName}'. Known: {string.Join(", ", known)}.");
        }

        output = Path.GetFullPath(output);
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() || File.Exists(output))
        {
            return new Refusal(ExportProblems.ExportTargetExists, $"{output} already exists and is not empty; choose a new directory.");
        }

        using var activity = ExportTelemetry.Activities.StartActivity("export run");
        activity?.SetTag("aisocial.dataset", dataset.Name);
        var runId = Guid.CreateVersion7();
        await RecordStartAsync(runId, dataset, actor, output, cancellationToken);
        var staging = $"{output}.partial-{runId:N}";
        try
        {
            Directory.CreateDirectory(staging);
            var manifest = await WriteAsync(dataset, runId, actor, staging, progress, cancellationToken);
            if (Directory.Exists(output))
            {
                Directory.Delete(output);
            }

            Directory.Move(staging, output);
            await RecordSuccessAsync(runId, dataset, actor, output, manifest, cancellationToken);
            var tag = new KeyValuePair<string, object?>("dataset", dataset.Name);
            telemetry.Rows.Add(manifest.RowsIncluded, tag);
            telemetry.Bytes.Add(manifest.Files.Sum(file => file.Bytes), tag);
            logger.LogInformation("Exported {Dataset} run {RunId}: {Rows} rows to {Output}", dataset.Name, runId, manifest.RowsIncluded, output);
            return new ExportRun(runId, output, manifest);
        }
        catch (Exception exception)
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            await RecordFailureAsync(runId, dataset, actor, exception, CancellationToken.None);
            throw;
        }
    }

    private async Task<ExportManifest> WriteAsync(Dataset dataset, Guid runId, Actor actor, string staging,
        IProgress<ExportProgress>? progress, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var snapshot = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        DateTimeOffset snapshotAt;
        await using (var command = new NpgsqlCommand("set transaction read only; select now()", connection))
        {
            // Npgsql reads timestamptz as a UTC DateTime.
            snapshotAt = new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync(cancellationToken))!, TimeSpan.Zero);
        }

        var ledgerHead = await TrainingCandidates.LedgerHeadAsync(connection, cancellationToken);
        var ledgerHeadHash = await ConsentLedger.HeadHashAsync(connection, cancellationToken);
        var total = await TrainingCandidates.CountAsync(connection, cancellationToken);
        var policyVersion = await PolicyStore.ActiveLabelAsync(connection, cancellationToken);
        var written = await new DatasetWriter(dataSource, media).WriteAsync(connection, new WriteRequest(LegacySpec(dataset), 1, runId, staging, snapshotAt, false),
            new SynchronousProgress(p => progress?.Report(new ExportProgress(p.RowsSeen, Math.Max(total, p.RowsSeen), p.RowsWritten))), cancellationToken);
        await snapshot.CommitAsync(cancellationToken);
        var included = written.RowsWritten;
        var excluded = written.Excluded;
        var files = written.Files.Select(f => new ShardFile(f.Path, f.Rows, f.Bytes, f.Sha256)).ToList();

        var manifest = new ExportManifest(dataset.Name, runId, dataset.Purpose, snapshotAt, ledgerHead, policyVersion,
            included, excluded, files, DateTimeOffset.UtcNow, actor.Name, ledgerHeadHash);
        await using (var stream = File.Create(Path.Combine(staging, ExportManifest.FileName)))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, ExportManifest.Json, cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        return manifest;
    }

    /// <summary>A dataset without a saved spec exports as one split, salted with its id so its row keys stay stable.</summary>
    private static DatasetSpec LegacySpec(Dataset dataset) => new()
    {
        Name = dataset.Name,
        Description = dataset.Description,
        Purpose = dataset.Purpose,
        Filters = new DatasetFilters { IncludeSensitive = dataset.AllowSensitive },
        Splits = new DatasetSplits { Train = 1, Validation = 0, Test = 0 },
        Salt = dataset.Id.ToString("N"),
    };

    /// <summary>Reports on the writer's thread, so the caller has every report before the run returns.</summary>
    private sealed class SynchronousProgress(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }

    private async Task RecordStartAsync(Guid runId, Dataset dataset, Actor actor, string output, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "insert into export.runs (id, dataset_id, status, requested_by, output) values ($1, $2, $5, $3, $4)");
        command.Parameters.Add(new() { Value = runId });
        command.Parameters.Add(new() { Value = dataset.Id });
        command.Parameters.Add(new() { Value = actor.Name });
        command.Parameters.Add(new() { Value = output });
        command.Parameters.Add(new() { Value = ExportRunStatus.Running.ToDatabase() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task RecordSuccessAsync(Guid runId, Dataset dataset, Actor actor, string output, ExportManifest manifest,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            """
            update export.runs set status = $4, finished_at = now(), snapshot_at = $2, manifest = $3 where id = $1
            """, connection))
        {
            command.Parameters.Add(new() { Value = runId });
            command.Parameters.Add(new() { Value = manifest.SnapshotAt });
            command.Parameters.Add(new() { Value = JsonSerializer.Serialize(manifest, ExportManifest.Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            command.Parameters.Add(new() { Value = ExportRunStatus.Succeeded.ToDatabase() });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await audit.AppendAsync(connection, actor, "export.run", "dataset", dataset.Name,
            new { runId, output, manifest.RowsIncluded, manifest.Excluded, manifest.ConsentLedgerHead, manifest.ConsentLedgerHeadHash, files = manifest.Files.Count },
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task RecordFailureAsync(Guid runId, Dataset dataset, Actor actor, Exception exception, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var command = new NpgsqlCommand(
                "update export.runs set status = $3, finished_at = now(), error = $2 where id = $1", connection))
            {
                command.Parameters.Add(new() { Value = runId });
                command.Parameters.Add(new() { Value = exception.Message });
                command.Parameters.Add(new() { Value = ExportRunStatus.Failed.ToDatabase() });
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await audit.AppendAsync(connection, actor, "export.fail", "dataset", dataset.Name, new { runId, error = exception.Message }, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception recordFailure)
        {
            logger.LogError(recordFailure, "Could not record the failure of export run {RunId}", runId);
        }
    }
}
