using System.Threading.Channels;
using AiSocial.Export.Parquet;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Media;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.HashBanks;
using Npgsql;

namespace AiSocial.Export.Writing;

/// <summary>
/// Writes a dataset run from one snapshot: every post, in post-id order, is decided by <see cref="Eligibility"/> and the
/// spec's filters, near-duplicates collapse to their earliest post, and each row goes to the split its salted row key
/// falls in, each split written by its own task into Parquet shards. The dataset's unrevoked published rows are read in
/// step (post-id order too), so a published post now excluded becomes a revocation. Rows and revocations are staged in
/// <c>export.run_rows</c> and <c>export.run_revocations</c> by binary COPY on other connections (the snapshot is read-only).
/// Memory holds a batch of posts, a row group per split and the near-duplicate index's hashes, whatever the dataset's size.
/// </summary>
internal sealed class DatasetWriter(NpgsqlDataSource dataSource, MediaStore media)
{
    public const string FilterTags = "filter_tags";
    public const string FilterDate = "filter_date";
    public const string FilterLabelConfidence = "filter_label_confidence";

    private const int ProgressEvery = 256;

    /// <summary>Rows in flight between the reader and a split's writer: enough to keep both busy, few enough to stay small.</summary>
    private const int SplitQueue = 8;

    public async Task<WriteResult> WriteAsync(NpgsqlConnection snapshot, WriteRequest request, IProgress<RunProgress> progress,
        CancellationToken cancellationToken)
    {
        var spec = request.Spec;
        var columns = DatasetColumns.Select(spec.Columns);
        var keys = new RowKeys(spec.Salt ?? throw new InvalidOperationException($"Dataset {spec.Name} has no salt: specs get one when they are saved."));
        var memory = new PeakMemory();
        var eligibility = await EligibilityReader.SnapshotAsync(snapshot, request.SnapshotAt, spec.Purpose, cancellationToken);
        var purpose = new DatasetPurpose(spec.Purpose, spec.Filters.IncludeSensitive);
        var tags = spec.Filters.Tags.Select(t => t.Trim().TrimStart('#').ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);

        Verdict Decide(DatasetCandidate candidate)
        {
            var verdict = Eligibility.Decide(candidate.Eligibility, eligibility, purpose);
            // The file is looked for only when the post would go in: a missing file is the last rule.
            if (verdict.Eligible && !media.Exists(candidate.Media!.Sha256))
            {
                verdict = Eligibility.Decide(candidate.Eligibility with { MediaPresent = false }, eligibility, purpose);
            }

            return verdict;
        }

        string? Filter(DatasetCandidate candidate) =>
            tags.Count > 0 && !candidate.Tags.Any(tags.Contains) ? FilterTags
            : candidate.Eligibility.CreatedAt < spec.Filters.From || candidate.Eligibility.CreatedAt >= spec.Filters.To ? FilterDate
            : candidate.LabelConfidence < spec.Filters.MinLabelConfidence ? FilterLabelConfidence
            : null;

        // First pass: which of the rows that will be written are copies of an earlier one.
        progress.Report(new RunProgress("dedupe", 0, 0, 0, 0));
        var clusters = new NearDuplicateClusters();
        await foreach (var candidate in DatasetCandidates.ReadAsync(snapshot, request.SnapshotAt, withRowData: false, cancellationToken))
        {
            if (Decide(candidate).Eligible && Filter(candidate) is null)
            {
                clusters.Add(candidate.Eligibility.PostId, candidate.Media!.Sha256, candidate.Eligibility.Pdq, candidate.PdqDihedral);
            }
        }

        var duplicates = clusters.Duplicates();
        var clusterCount = clusters.Clusters();
        memory.Sample();

        // Second pass: write.
        await using var stagedRows = await StagedRows.OpenAsync(dataSource, request.RunId, cancellationToken);
        await using var revocations = await StagedRevocations.OpenAsync(dataSource, request.RunId, cancellationToken);
        var writers = RowKeys.Splits.ToDictionary(split => split, split => new SplitShardWriter(request.StagingDirectory, split, columns)
        {
            RowGroupBytes = spec.RowGroupMb * 1024L * 1024,
            ShardBytes = spec.ShardSizeMb * 1024L * 1024,
            RowGroupWritten = (shard, rows, ct) => { memory.Sample(); return stagedRows.AddAsync(shard, rows, ct); },
        });
        var queues = RowKeys.Splits.ToDictionary(split => split, _ => Channel.CreateBounded<DatasetRow>(
            new BoundedChannelOptions(SplitQueue) { SingleReader = true, SingleWriter = true }));
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var consumers = RowKeys.Splits.Select(split => Task.Run(async () =>
        {
            try
            {
                await foreach (var row in queues[split].Reader.ReadAllAsync(failed.Token))
                {
                    await writers[split].AddAsync(row, failed.Token);
                }
            }
            catch
            {
                await failed.CancelAsync();
                throw;
            }
        }, CancellationToken.None)).ToList();

        var excluded = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var revoked = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var scrubber = new TextScrubber();
        long seen = 0, written = 0;
        long BytesWritten() => writers.Values.Sum(w => w.BytesWritten);
        void Report(string phase) =>
            progress.Report(new RunProgress(phase, seen, written, excluded.Values.Sum(), BytesWritten()));

        try
        {
            var datasetId = await DatasetIdAsync(snapshot, spec.Name, cancellationToken);
            await using var published = new PublishedRows(snapshot, datasetId, cancellationToken);
            await foreach (var candidate in DatasetCandidates.ReadAsync(snapshot, request.SnapshotAt, withRowData: true, failed.Token))
            {
                var post = candidate.Eligibility.PostId;
                // Published rows of posts that are no longer in the table at all.
                while (await published.NextBeforeAsync(post) is { } gone)
                {
                    await Revoke(gone, RevocationReasons.Deleted);
                }

                var previous = await published.TakeAsync(post);
                seen++;
                var verdict = Decide(candidate);
                if (verdict.Reason is { } reason)
                {
                    excluded[reason] = excluded.GetValueOrDefault(reason) + 1;
                    if (previous is not null)
                    {
                        await Revoke(previous, RevocationReasons.For(reason));
                    }
                }
                else if (Filter(candidate) is { } filtered)
                {
                    excluded[filtered] = excluded.GetValueOrDefault(filtered) + 1;
                }
                else if (!duplicates.ContainsKey(post) && !(request.Incremental && previous is not null))
                {
                    var row = await RowAsync(candidate, verdict.ConsentEventId!.Value, keys, spec.License, scrubber, failed.Token);
                    await queues[keys.Split(row.RowKey, spec.Splits)].Writer.WriteAsync(row, failed.Token);
                    written++;
                }

                if (seen % ProgressEvery == 0)
                {
                    memory.Sample();
                    Report("write");
                }
            }

            while (await published.NextBeforeAsync(null) is { } gone)
            {
                await Revoke(gone, RevocationReasons.Deleted);
            }
        }
        finally
        {
            foreach (var queue in queues.Values)
            {
                queue.Writer.TryComplete();
            }

            // A writer that failed has cancelled the others; its exception is the one to surface.
            await Task.WhenAll(consumers);
        }

        var files = new List<WrittenFile>();
        var shardNames = new Dictionary<string, string>();
        foreach (var (split, writer) in writers)
        {
            if (writer.IsEmpty && (split == RowKeys.Train || Ratio(spec.Splits, split) > 0))
            {
                // Every split the spec declares exists, with the schema, even when no row landed in it (a small or
                // empty dataset): readers and the card can name it.
                await writer.WriteEmptyShardAsync(cancellationToken);
            }

            foreach (var (temporary, file) in await writer.CompleteAsync(cancellationToken))
            {
                shardNames[temporary] = file.Path;
                files.Add(new WrittenFile(file.Path, split, file.Rows, file.Bytes, file.Sha256));
            }

            await writer.DisposeAsync();
        }

        await stagedRows.CompleteAsync(shardNames, cancellationToken);
        await revocations.CompleteAsync(cancellationToken);
        memory.Sample();
        Report("written");
        return new WriteResult(files, seen, written, excluded, scrubber.Counts, duplicates.Count, clusterCount, revoked.Values.Sum(), revoked,
            columns.Info, memory.Peak);

        static double Ratio(Datasets.DatasetSplits ratios, string split) => split switch
        {
            RowKeys.Train => ratios.Train,
            RowKeys.Validation => ratios.Validation,
            _ => ratios.Test,
        };

        async Task Revoke(PublishedRow row, string reason)
        {
            revoked[reason] = revoked.GetValueOrDefault(reason) + 1;
            await revocations.AddAsync(row, reason, cancellationToken);
        }
    }

    private async Task<DatasetRow> RowAsync(DatasetCandidate candidate, long consentEventId, RowKeys keys, string license, TextScrubber scrubber,
        CancellationToken cancellationToken)
    {
        var post = candidate.Eligibility;
        var data = candidate.Row!;
        var file = candidate.Media!;
        // The prompt goes only where anyone may read it: what a signed-out viewer sees (PromptAudience).
        var promptShown = data.PromptVisibility == PromptVisibility.Public;
        var rowKey = keys.RowKey(post.PostId);
        return new DatasetRow(post.PostId, rowKey, keys.AuthorId(post.AuthorId),
            promptShown ? scrubber.Scrub(candidate.Prompt) : null, promptShown ? scrubber.Scrub(data.NegativePrompt) : null,
            scrubber.Scrub(candidate.Caption), scrubber.Scrub(data.AltText), candidate.Tags, data.Generator, data.Seed, file.Width, file.Height,
            await media.ReadAllBytesAsync(file.Sha256, cancellationToken), $"{file.Sha256}{Extension(file.ContentType)}",
            post.Label!.Value.ToDatabase(), candidate.LabelSource!, candidate.ReviewerRole, candidate.PolicyVersion!,
            [.. data.Signals.Select(s => new ModelSignal(s.Source, s.Category, s.Score, s.ModelVersion))],
            data.Likes, data.Comments, data.Remixes, data.Views, data.MedianDwellMs, consentEventId,
            license, post.CreatedAt);
    }

    private static string Extension(string contentType) => contentType switch
    {
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/webp" => ".webp",
        "image/gif" => ".gif",
        _ => "",
    };

    private static async Task<Guid?> DatasetIdAsync(NpgsqlConnection snapshot, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select id from export.datasets where name = $1", snapshot);
        command.Parameters.Add(new() { Value = name });
        return await command.ExecuteScalarAsync(cancellationToken) as Guid?;
    }
}

/// <summary>The highest working set seen while sampling, for the manifest's peak RSS.</summary>
internal sealed class PeakMemory
{
    private long _peak = Environment.WorkingSet;

    public long Peak => Interlocked.Read(ref _peak);

    public void Sample()
    {
        var now = Environment.WorkingSet;
        long seen;
        while (now > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, seen) != seen)
        {
        }
    }
}
