using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using AiSocial.Export.Parquet;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Media;
using AiSocial.Moderation.Review;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Export.Writing;

/// <summary>The columns the shards have, which a spec's <c>columns</c> choose from.</summary>
internal static class DatasetColumns
{
    public static readonly IReadOnlyList<ColumnInfo> All =
    [
        new("id", "BYTE_ARRAY (STRING)", "sc:Text", null),
        new("prompt", "BYTE_ARRAY (STRING)", "sc:Text", null),
        new("caption", "BYTE_ARRAY (STRING)", "sc:Text", null),
        new("image", "STRUCT<bytes: BYTE_ARRAY, path: BYTE_ARRAY (STRING)>", "sc:ImageObject", "bytes"),
        new("width", "INT32", "sc:Integer", null),
        new("height", "INT32", "sc:Integer", null),
        new("moderation_label", "BYTE_ARRAY (STRING)", "sc:Text", null),
        new("label_source", "BYTE_ARRAY (STRING)", "sc:Text", null),
        new("consent_event_id", "INT64", "sc:Integer", null),
        new("published_at", "INT64 (TIMESTAMP(MICROS, UTC))", "sc:DateTime", null),
    ];

    public static readonly IReadOnlyList<string> Names = All.Select(c => c.Name).ToList();
}

/// <summary>
/// INTERIM (RUNS branch): the contract's writer over the existing <see cref="ParquetShardWriter"/>, so the runner can be
/// built and tested before the WRITER part lands; the merge replaces this file with the real DatasetWriter. It keeps the
/// contract's row keys, splits and revocations but loads the published rows into memory, writes every column whatever
/// the spec's <c>columns</c> say, applies only the date and sensitivity filters, and neither scrubs nor deduplicates.
/// </summary>
internal sealed class DatasetWriter(NpgsqlDataSource dataSource, MediaStore media)
{
    public static readonly string[] Splits = ["train", "validation", "test"];

    public async Task<WriteResult> WriteAsync(NpgsqlConnection snapshot, WriteRequest request, IProgress<RunProgress> progress,
        CancellationToken cancellationToken)
    {
        var spec = request.Spec;
        var salt = Encoding.UTF8.GetBytes(spec.Salt!);
        var labels = await LabelStore.LatestAsync(snapshot, cancellationToken);
        var eligibility = await EligibilityReader.SnapshotAsync(snapshot, request.SnapshotAt, spec.Purpose, cancellationToken);
        var purpose = new DatasetPurpose(spec.Purpose, spec.Filters.IncludeSensitive);
        var published = await PublishedAsync(snapshot, spec.Name, cancellationToken);

        var ratios = new Dictionary<string, double> { ["train"] = spec.Splits.Train, ["validation"] = spec.Splits.Validation, ["test"] = spec.Splits.Test };
        var writers = Splits.Where(s => ratios[s] > 0).ToDictionary(s => s, s => new ParquetShardWriter(request.StagingDirectory, s)
        {
            RowGroupBytes = spec.RowGroupMb * 1024L * 1024,
            ShardBytes = spec.ShardSizeMb * 1024L * 1024,
        });
        var written = Splits.ToDictionary(s => s, _ => new List<(string RowKey, Guid PostId)>());
        var revocations = new List<(string RowKey, Guid PostId, string Shard, string Reason)>();
        var excluded = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long seen = 0, rows = 0;
        try
        {
            await foreach (var candidate in EligibilityReader.CandidatesAsync(snapshot, labels, cancellationToken))
            {
                seen++;
                var post = candidate.Eligibility;
                var verdict = Eligibility.Decide(post, eligibility, purpose);
                if (verdict.Eligible && !media.Exists(candidate.Media!.Sha256))
                {
                    verdict = Eligibility.Decide(post with { MediaPresent = false }, eligibility, purpose);
                }

                var wasPublished = published.Remove(post.PostId, out var shipped);
                var inRange = (spec.Filters.From is not { } from || post.CreatedAt >= from) && (spec.Filters.To is not { } to || post.CreatedAt < to);
                if (verdict.Eligible && inRange)
                {
                    if (!(request.Incremental && wasPublished))
                    {
                        var rowKey = RowKey(salt, post.PostId);
                        var split = Split(salt, rowKey, spec.Splits.Train, spec.Splits.Validation);
                        var file = candidate.Media!;
                        await writers[split].AddAsync(new DatasetRow(post.PostId, candidate.Prompt, candidate.Caption,
                            await media.ReadAllBytesAsync(file.Sha256, cancellationToken), $"{file.Sha256}{Extension(file.ContentType)}", file.Width,
                            file.Height, candidate.Label!.Decision.ToDatabase(), candidate.Label.Source.ToDatabase(), verdict.ConsentEventId!.Value,
                            candidate.PublishedAt!.Value), cancellationToken);
                        written[split].Add((rowKey, post.PostId));
                        rows++;
                    }
                }
                else
                {
                    var reason = verdict.Eligible ? "filtered" : verdict.Reason!;
                    excluded[reason] = excluded.GetValueOrDefault(reason) + 1;
                    if (wasPublished && !verdict.Eligible)
                    {
                        revocations.Add((shipped.RowKey, post.PostId, shipped.Shard, RevocationReason(verdict.Reason!)));
                    }
                }

                if (seen % 256 == 0)
                {
                    progress.Report(new RunProgress("write", seen, rows, excluded.Values.Sum(), 0));
                }
            }

            // Published once, gone from the posts table since.
            revocations.AddRange(published.Select(p => (p.Value.RowKey, p.Key, p.Value.Shard, "deleted")));

            var files = new List<WrittenFile>();
            var runRows = new List<(string RowKey, Guid PostId, string Split, string Shard)>();
            foreach (var (split, writer) in writers)
            {
                var shards = await writer.CompleteAsync(cancellationToken);
                var next = 0;
                foreach (var shard in shards)
                {
                    files.Add(new WrittenFile(shard.Path, split, shard.Rows, shard.Bytes, shard.Sha256));
                    runRows.AddRange(written[split].Skip(next).Take((int)shard.Rows).Select(r => (r.RowKey, r.PostId, split, shard.Path)));
                    next += (int)shard.Rows;
                }
            }

            await StageAsync(request.RunId, runRows, revocations, cancellationToken);
            progress.Report(new RunProgress("write", seen, rows, excluded.Values.Sum(), files.Sum(f => f.Bytes)));
            var revokedByReason = revocations.GroupBy(r => r.Reason).OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (long)g.Count());
            return new WriteResult(files, seen, rows, excluded, new Dictionary<string, long>(), 0, 0, revocations.Count, revokedByReason,
                DatasetColumns.All, Process.GetCurrentProcess().PeakWorkingSet64);
        }
        finally
        {
            foreach (var writer in writers.Values)
            {
                await writer.DisposeAsync();
            }
        }
    }

    /// <summary>Lowercase hex of the first 16 bytes of HMAC-SHA256(salt, "post:" + post id): stable for the dataset.</summary>
    internal static string RowKey(byte[] salt, Guid postId) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes($"post:{postId}")).AsSpan(0, 16));

    /// <summary>The split of a row: its salted bucket (0–9,999) against the spec's ratios, so a row never moves.</summary>
    internal static string Split(byte[] salt, string rowKey, double train, double validation)
    {
        var hash = HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes($"split:{rowKey}"));
        var bucket = BinaryPrimitives.ReadUInt64BigEndian(hash) % 10_000;
        return bucket < train * 10_000 ? "train" : bucket < (train + validation) * 10_000 ? "validation" : "test";
    }

    internal static string RevocationReason(string exclusion) => exclusion switch
    {
        ExclusionReasons.AuthorErased => "erasure",
        ExclusionReasons.NotPublished or ExclusionReasons.Removed or ExclusionReasons.SensitiveNotAllowed or ExclusionReasons.AuthorSuspended
            or ExclusionReasons.AuthorMinor => "moderation",
        ExclusionReasons.OpenReports => "report",
        ExclusionReasons.Deleted or ExclusionReasons.MediaMissing => "deleted",
        _ when exclusion.StartsWith("creator_optout", StringComparison.Ordinal) => "creator_optout",
        _ => "consent_withdrawn",
    };

    private static async Task<Dictionary<Guid, (string RowKey, string Shard)>> PublishedAsync(NpgsqlConnection snapshot, string dataset,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            select p.post_id, p.row_key, p.shard from export.published_rows p join export.datasets d on d.id = p.dataset_id
            where d.name = $1 and p.revoked_at is null
            """, snapshot);
        command.Parameters.Add(new() { Value = dataset });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var published = new Dictionary<Guid, (string, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            published[reader.GetGuid(0)] = (reader.GetString(1), reader.GetString(2));
        }

        return published;
    }

    private async Task StageAsync(Guid runId, List<(string RowKey, Guid PostId, string Split, string Shard)> rows,
        List<(string RowKey, Guid PostId, string Shard, string Reason)> revocations, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var import = await connection.BeginBinaryImportAsync(
            "copy export.run_rows (run_id, row_key, post_id, split, shard) from stdin (format binary)", cancellationToken))
        {
            foreach (var row in rows)
            {
                await import.StartRowAsync(cancellationToken);
                await import.WriteAsync(runId, NpgsqlDbType.Uuid, cancellationToken);
                await import.WriteAsync(row.RowKey, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(row.PostId, NpgsqlDbType.Uuid, cancellationToken);
                await import.WriteAsync(row.Split, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(row.Shard, NpgsqlDbType.Text, cancellationToken);
            }

            await import.CompleteAsync(cancellationToken);
        }

        await using (var import = await connection.BeginBinaryImportAsync(
            "copy export.run_revocations (run_id, row_key, post_id, shard, reason) from stdin (format binary)", cancellationToken))
        {
            foreach (var row in revocations)
            {
                await import.StartRowAsync(cancellationToken);
                await import.WriteAsync(runId, NpgsqlDbType.Uuid, cancellationToken);
                await import.WriteAsync(row.RowKey, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(row.PostId, NpgsqlDbType.Uuid, cancellationToken);
                await import.WriteAsync(row.Shard, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(row.Reason, NpgsqlDbType.Text, cancellationToken);
            }

            await import.CompleteAsync(cancellationToken);
        }
    }

    private static string Extension(string contentType) => contentType switch
    {
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/webp" => ".webp",
        "image/gif" => ".gif",
        _ => "",
    };
}
