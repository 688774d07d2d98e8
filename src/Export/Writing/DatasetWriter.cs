using AiSocial.Export.Datasets;
using AiSocial.Export.Parquet;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Media;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.HashBanks;
using Npgsql;

namespace AiSocial.Export.Writing;

/// <summary>
/// Writes a dataset run in two steps. <see cref="PlanAsync"/> reads one snapshot: every post, in post-id order, is
/// decided by <see cref="Eligibility"/> and the spec's filters, near-duplicates collapse to their earliest post, and each
/// row goes to the split its salted row key falls in and to a shard cut from the rows' known sizes; the dataset's
/// unrevoked published rows are read in step (post-id order too), so a published post now excluded becomes a revocation.
/// Rows (without images), hashes, shards and revocations are staged by binary COPY on other connections (the snapshot
/// is read-only). <see cref="WriteRangeAsync"/> then writes a range of those shards, on this node or any other, reading
/// the images from the media store. Memory holds a batch of posts, one block of the near-duplicate index
/// (<see cref="NearDuplicateClusters"/>), the copies found and, per range being written, a row group, whatever the
/// dataset's size.
/// </summary>
internal sealed class DatasetWriter(NpgsqlDataSource dataSource, MediaStore media)
{
    public const string FilterTags = "filter_tags";
    public const string FilterDate = "filter_date";
    public const string FilterLabelConfidence = "filter_label_confidence";

    private const int ProgressEvery = 256;

    /// <summary>
    /// Reads the snapshot and decides everything but the bytes: which rows go in, their splits and shards, the counts and
    /// the revocations, all staged in the database (<c>export.run_rows</c>, <c>export.run_shards</c>,
    /// <c>export.run_revocations</c>). Reads no image and writes no file.
    /// </summary>
    public async Task<WritePlan> PlanAsync(NpgsqlConnection snapshot, WriteRequest request, IProgress<RunProgress> progress,
        CancellationToken cancellationToken)
    {
        var spec = request.Spec;
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

        // One pass: every row to write is staged, without its image, as it is read, numbered by its post's position among
        // the eligible posts; near-duplicates are looked for beside the pass (BackgroundClusters) among the posts of the
        // same block, and the hashes staged so blocks that closed can be compared with the posts after them at the end.
        await using var clusters = new BackgroundClusters(request.NearDuplicateBlock);
        await using var hashes = await StagedHashes.OpenAsync(dataSource, request.RunId, cancellationToken);
        await using var stagedRows = await StagedRows.OpenAsync(dataSource, request.RunId, cancellationToken);
        await using var revocations = await StagedRevocations.OpenAsync(dataSource, request.RunId, cancellationToken);
        var excluded = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var revoked = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var scrubber = new TextScrubber();
        long seen = 0, written = 0;
        var position = 0;
        void Report(string phase) => progress.Report(new RunProgress(phase, seen, written, excluded.Values.Sum(), 0));

        var datasetId = await DatasetIdAsync(snapshot, spec.Name, cancellationToken);
        await using (var published = new PublishedRows(snapshot, datasetId, cancellationToken))
        {
            await foreach (var candidate in DatasetCandidates.ReadAsync(dataSource, snapshot, request.SnapshotAt, cancellationToken))
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
                else
                {
                    var (pdq, dihedral) = (candidate.Eligibility.Pdq, candidate.PdqDihedral);
                    await clusters.AddAsync(pdq, dihedral, cancellationToken);
                    await hashes.AddAsync(position, post, candidate.Media!.Sha256, pdq, dihedral, cancellationToken);
                    // A post an incremental run published before is in the clusters, but not written again.
                    if (!(request.Incremental && previous is not null))
                    {
                        await StageAsync(candidate, verdict.ConsentEventId!.Value, position);
                    }

                    position++;
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

        await stagedRows.CompleteAsync(cancellationToken);
        await hashes.CompleteAsync(cancellationToken);
        await revocations.CompleteAsync(cancellationToken);

        // Copies: near ones across blocks, then the same files, then out of the staged rows (their rows were staged
        // before anything later could prove them copies).
        var collapsed = await clusters.CompleteAsync();
        await collapsed.LinkAcrossBlocksAsync((from, to) => StagedHashes.ReadAsync(dataSource, request.RunId, from, to, cancellationToken), cancellationToken);
        await StagedHashes.LinkSameFilesAsync(dataSource, request.RunId, collapsed, cancellationToken);
        var duplicates = collapsed.Duplicates();
        var removed = await StagedHashes.CollapseAsync(dataSource, request.RunId, duplicates, cancellationToken);
        written -= removed.Rows;
        scrubber.Remove(removed.Scrubbed);
        memory.Sample();

        // Every split the spec declares exists, with the schema, even when no row landed in it (a small or empty
        // dataset): readers and the card can name it. Shards are cut from the rows left, split by split, and numbered
        // in ranges, one job a range.
        var shards = new List<PlannedShard>();
        foreach (var split in RowKeys.Splits)
        {
            var planner = new ShardPlanner(split, spec.RowGroupMb * 1024L * 1024, spec.ShardSizeMb * 1024L * 1024);
            await foreach (var (seq, bytes) in StagedRows.SizesAsync(dataSource, request.RunId, split, cancellationToken))
            {
                planner.Add(seq, bytes);
            }

            var cut = planner.Complete(keepEmpty: split == RowKeys.Train || Ratio(spec.Splits, split) > 0);
            shards.AddRange(cut.Select((s, i) => new PlannedShard(split, i, cut.Count, 0, s.First, s.Last,
                $"data/{split}-{i:D5}-of-{cut.Count:D5}.parquet")));
        }

        var perRange = Math.Max(1, request.ShardsPerRange);
        shards = [.. shards.Select((s, i) => s with { Range = i / perRange })];
        await RunShards.InsertAsync(dataSource, request.RunId, shards, cancellationToken);
        memory.Sample();
        Report("planned");
        return new WritePlan(seen, written, excluded, scrubber.Counts, duplicates.Count, collapsed.Clusters(), revoked.Values.Sum(), revoked,
            shards.Count == 0 ? 0 : shards[^1].Range + 1, memory.Peak);

        static double Ratio(Datasets.DatasetSplits ratios, string split) => split switch
        {
            RowKeys.Train => ratios.Train,
            RowKeys.Validation => ratios.Validation,
            _ => ratios.Test,
        };

        async Task StageAsync(DatasetCandidate candidate, long consentEventId, int seq)
        {
            var before = scrubber.Total;
            var row = Row(candidate, consentEventId, keys, spec.License, scrubber);
            if (scrubber.Total - before is var scrubbed && scrubbed != default)
            {
                row = row with { Scrubbed = scrubbed };
            }

            var bytes = row.ApproximateBytes + candidate.MediaBytes;
            await stagedRows.AddAsync(row, keys.Split(row.RowKey, spec.Splits), seq, bytes, candidate.Media!.Sha256, cancellationToken);
            written++;
        }

        async Task Revoke(PublishedRow row, string reason)
        {
            revoked[reason] = revoked.GetValueOrDefault(reason) + 1;
            await revocations.AddAsync(row, reason, cancellationToken);
        }
    }

    /// <summary>
    /// Writes the shards of one range of a planned run into its staging directory, from the staged rows and the media
    /// files, and returns them with their sizes and checksums; needs no snapshot, so any node sharing the database, the
    /// media store and the export root can do it. Each shard is written apart (<c>.shards/{split}-{i}/</c>) and moved to
    /// its final name when whole, so a range written again (its first node died) replaces what it left.
    /// </summary>
    public async Task<RangeWritten> WriteRangeAsync(Guid runId, int range, DatasetSpec spec, string stagingDirectory, Action<WrittenFile>? shardWritten,
        CancellationToken cancellationToken)
    {
        var columns = DatasetColumns.Select(spec.Columns);
        var memory = new PeakMemory();
        var files = new List<WrittenFile>();
        foreach (var shard in await RunShards.RangeAsync(dataSource, runId, range, cancellationToken))
        {
            var work = Path.Combine(stagingDirectory, ".shards", $"{shard.Split}-{shard.Index:D5}");
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }

            Directory.CreateDirectory(work);
            ShardFile file;
            await using (var writer = new SplitShardWriter(work, shard.Split, columns)
            {
                RowGroupBytes = spec.RowGroupMb * 1024L * 1024,
                ShardBytes = long.MaxValue, // the plan cut the shards; this one is all one file
                RowGroupWritten = (_, _, _) => { memory.Sample(); return Task.CompletedTask; },
            })
            {
                var rows = 0;
                await foreach (var (sha256, row) in RunShards.RowsAsync(dataSource, runId, shard, cancellationToken))
                {
                    await writer.AddAsync(row with { ImageBytes = await media.ReadAllBytesAsync(sha256, cancellationToken) }, cancellationToken);
                    rows++;
                }

                // A split that must exist has a shard with no rows; so has a shard whose every row proved a copy
                // after it was planned (the plan's gaps). Either is the schema with no rows.
                if (rows == 0)
                {
                    await writer.WriteEmptyShardAsync(cancellationToken);
                }

                (_, file) = (await writer.CompleteAsync(cancellationToken)).Single();
            }

            var target = Path.Combine(stagingDirectory, shard.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(Path.Combine(work, file.Path), target, overwrite: true);
            Directory.Delete(work, recursive: true);
            var written = new WrittenFile(shard.Path, shard.Split, file.Rows, file.Bytes, file.Sha256);
            files.Add(written);
            shardWritten?.Invoke(written);
        }

        memory.Sample();
        return new RangeWritten(files, memory.Peak);
    }

    /// <summary>
    /// Plans and writes a whole run in this process: every range, <see cref="RangesAtOnce"/> at a time, each recorded as the
    /// runner records a range written by any node.
    /// </summary>
    public async Task<WriteResult> WriteAsync(NpgsqlConnection snapshot, WriteRequest request, IProgress<RunProgress> progress,
        CancellationToken cancellationToken)
    {
        var plan = await PlanAsync(snapshot, request, progress, cancellationToken);
        var peak = plan.PeakRssBytes;
        await Parallel.ForEachAsync(Enumerable.Range(0, plan.Ranges),
            new ParallelOptions { MaxDegreeOfParallelism = RangesAtOnce(request.Spec), CancellationToken = cancellationToken },
            async (range, ct) =>
            {
                var written = await WriteRangeAsync(request.RunId, range, request.Spec, request.StagingDirectory, null, ct);
                await RunShards.CompleteAsync(dataSource, request.RunId, written.Files, written.PeakRssBytes, RunShards.Node, ct);
                InterlockedMax(ref peak, written.PeakRssBytes);
            });
        var files = await RunShards.FilesAsync(dataSource, request.RunId, cancellationToken);
        progress.Report(new RunProgress("written", plan.RowsSeen, plan.RowsWritten, plan.Excluded.Values.Sum(), files.Sum(f => f.Bytes)));
        return plan.Result(files, DatasetColumns.Select(request.Spec.Columns).Info, peak);
    }

    /// <summary>
    /// How many ranges one process writes at once: one per core, as many as <see cref="WriterMemoryBudget"/> holds when each
    /// takes <see cref="RssPerRowGroupByte"/> times its row group. The output does not depend on it (every shard is
    /// written whole by one writer), only the peak memory: one writer for 100 MB row groups, two for 32 MB.
    /// </summary>
    public static int RangesAtOnce(DatasetSpec spec) =>
        (int)Math.Clamp(WriterMemoryBudget / (RssPerRowGroupByte * spec.RowGroupMb * 1024L * 1024), 1, Math.Max(1, Environment.ProcessorCount));

    /// <summary>What the writers of one process may hold at once, beside the process itself (about 100 MB).</summary>
    public const long WriterMemoryBudget = 768L * 1024 * 1024;

    /// <summary>
    /// Measured with <c>./aisocial bench export</c> in a fresh process (10,000 posts): a writer's share of the peak RSS is
    /// 7–9 times its row group (two writers of 32 MB: 518 MiB; one of 100 MB: 974 MiB). Parquet.Net 6.1 holds the image
    /// chunk twice while writing it uncompressed (its encoded stream and the pooled copy it returns; zstd added two
    /// more) beside the rows' images, and the collector keeps some of each group's garbage while the next is built.
    /// </summary>
    public const int RssPerRowGroupByte = 10;

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>The row as the snapshot has it, without its image: <see cref="WriteRangeAsync"/> reads that from the media store.</summary>
    private static DatasetRow Row(DatasetCandidate candidate, long consentEventId, RowKeys keys, string license, TextScrubber scrubber)
    {
        var post = candidate.Eligibility;
        var data = candidate.Row;
        var file = candidate.Media!;
        // The prompt goes only where anyone may read it: what a signed-out viewer sees (PromptAudience).
        var promptShown = data.PromptVisibility == PromptVisibility.Public;
        var rowKey = keys.RowKey(post.PostId);
        return new DatasetRow(post.PostId, rowKey, keys.AuthorId(post.AuthorId),
            promptShown ? scrubber.Scrub(candidate.Prompt) : null, promptShown ? scrubber.Scrub(data.NegativePrompt) : null,
            scrubber.Scrub(candidate.Caption), scrubber.Scrub(data.AltText), candidate.Tags, data.Generator, data.Seed, file.Width, file.Height,
            [], $"{file.Sha256}{Extension(file.ContentType)}",
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
