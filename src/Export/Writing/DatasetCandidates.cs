using System.Data;
using System.Runtime.CompilerServices;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Review;
using Npgsql;

namespace AiSocial.Export.Writing;

/// <summary>What a row is made of, beyond what eligibility reads.</summary>
internal sealed record CandidateRowData(PromptVisibility PromptVisibility, string? NegativePrompt, string? AltText, string? Generator, long? Seed,
    IReadOnlyList<(string Source, string Category, float Score, string ModelVersion)> Signals, long Likes, long Comments, long Remixes, long Views,
    long? MedianDwellMs);

/// <summary>
/// A post read for a dataset: its eligibility inputs, its latest moderation label (<see cref="LabelSource"/>, the
/// reviewer's staff role and the policy version), tags, and what else its row holds (<see cref="Row"/>).
/// <see cref="LabelConfidence"/> is 1 for a reviewer's label and 1 − the highest model score for a policy's.
/// </summary>
internal sealed record DatasetCandidate(EligibilityCandidate Eligibility, string? Prompt, string? Caption, PostMedia? Media,
    IReadOnlyList<string> Tags, string? LabelSource, string? ReviewerRole, string? PolicyVersion, double LabelConfidence, CandidateRowData Row)
{
    /// <summary>The media's eight dihedral PDQ hashes (<c>media.pdq_dihedral</c>), null for media stored before they were computed.</summary>
    public byte[]? PdqDihedral { get; init; }
    /// <summary>The media file's size as recorded when it was stored, so a shard's size is known before its images are read.</summary>
    public long MediaBytes { get; init; }
}

/// <summary>
/// Reads posts for a dataset in post-id order. <see cref="ReadAsync"/> streams one query on a connection of its own that
/// shares the snapshot (<c>pg_export_snapshot</c>), so PostgreSQL runs it while the rows already read are decided, and
/// the snapshot's own connection stays free for cursors read in step (<see cref="CursorAsync"/>). Memory holds what the
/// socket and one row hold, whatever the table's size.
/// </summary>
internal static class DatasetCandidates
{
    /// <summary>
    /// How every transaction that reads the snapshot runs. No JIT: the per-post lateral joins cost enough to switch on
    /// LLVM's optimised compilation, which took 1.8 s of the 2.4 s the row query needed at 20k posts (`explain analyze`,
    /// PostgreSQL 15). The sort by post id fits in memory up to about 100k posts.
    /// </summary>
    public const string SnapshotSettings = "set transaction read only; set local jit = off; set local work_mem = '64MB'";

    public static async IAsyncEnumerable<DatasetCandidate> ReadAsync(NpgsqlDataSource dataSource, NpgsqlConnection snapshot, DateTimeOffset at,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string snapshotId;
        await using (var export = new NpgsqlCommand("select pg_export_snapshot()", snapshot))
        {
            snapshotId = (string)(await export.ExecuteScalarAsync(cancellationToken))!;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        // The id comes from PostgreSQL, and SET takes no parameters.
        await using (var share = new NpgsqlCommand($"set transaction snapshot '{snapshotId}'; {SnapshotSettings}", connection))
        {
            await share.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new() { Value = at });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Read(reader);
        }
    }

    /// <summary>Declares a cursor for <paramref name="query"/> in the connection's transaction and fetches it in batches.</summary>
    public static async IAsyncEnumerable<T> CursorAsync<T>(NpgsqlConnection connection, string name, string query, int batch,
        Func<NpgsqlDataReader, T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using (var declare = new NpgsqlCommand($"declare {name} no scroll cursor for {query}", connection))
        {
            await declare.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            var rows = new List<T>(batch);
            while (true)
            {
                rows.Clear();
                await using (var fetch = new NpgsqlCommand($"fetch {batch} from {name}", connection))
                await using (var reader = await fetch.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        rows.Add(read(reader));
                    }
                }

                foreach (var row in rows)
                {
                    yield return row;
                }

                if (rows.Count < batch)
                {
                    break;
                }
            }
        }
        finally
        {
            await using var close = new NpgsqlCommand($"close {name}", connection);
            await close.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private const string Sql =
        $"""
        select p.id, p.author_id, p.status, p.created_at, p.published_at, p.deleted_at, p.sensitive, p.allow_training,
               p.prompt, p.negative_prompt, p.caption, p.alt_text, g.revised_prompt, ocr.text,
               m.sha256, m.content_type, m.width, m.height, m.pdq_hash, p.provenance::text, coalesce(r.open, 0),
               p.tags, l.decision, l.source, l.policy_version,
               (select ar.role from ingest.account_roles ar
                where ar.account_id = l.reviewer_id and ar.role in ('moderator', 'admin') order by ar.role desc limit 1),
               (select max(s.score) from moderation.signals s where s.post_id = p.id), m.byte_size
               {RowDataColumns},
               m.pdq_dihedral
        from ingest.posts p
        left join ingest.media m on m.sha256 = p.media_sha256
        left join ingest.generations g on g.id = p.generation_id
        left join lateral (
            select s.detail ->> 'text' as text from moderation.signals s
            where s.post_id = p.id and s.source = 'ocr' and jsonb_typeof(s.detail -> 'text') = 'string'
            order by s.id desc limit 1
        ) ocr on true
        left join (
            select subject_id, count(*)::int as open from ingest.reports
            where subject_type = 'post' and status = 'open'
            group by subject_id
        ) r on r.subject_id = p.id
        left join lateral (
            select decision, source, policy_version, reviewer_id from moderation.labels where post_id = p.id order by id desc limit 1
        ) l on true
        {RowDataJoins}
        order by p.id
        """;

    private const string RowDataColumns =
        """
        , p.prompt_visibility, g.generator, g.model, g.seed,
        sig.sources, sig.categories, sig.scores, sig.versions,
        coalesce(lk.n, 0), coalesce(cm.n, 0), coalesce(rx.n, 0), coalesce(ev.views, 0), ev.median_dwell
        """;

    // Engagement as the snapshot sees it: interactions that exist in it, events that happened by its time.
    private const string RowDataJoins =
        """
        left join lateral (
            select array_agg(s.source order by s.source, s.category, s.model_version) as sources,
                   array_agg(s.category order by s.source, s.category, s.model_version) as categories,
                   array_agg(s.score order by s.source, s.category, s.model_version) as scores,
                   array_agg(s.model_version order by s.source, s.category, s.model_version) as versions
            from moderation.signals s where s.post_id = p.id
        ) sig on true
        left join (select post_id, count(*) as n from ingest.likes group by post_id) lk on lk.post_id = p.id
        left join (select post_id, count(*) as n from ingest.comments where deleted_at is null group by post_id) cm on cm.post_id = p.id
        left join (
            select remix_of, count(*) as n from ingest.posts where remix_of is not null and deleted_at is null group by remix_of
        ) rx on rx.remix_of = p.id
        left join (
            select post_id, count(*) filter (where type = 1) as views,
                   percentile_disc(0.5) within group (order by ms) filter (where type = 2) as median_dwell
            from ingest.events where at <= $1 group by post_id
        ) ev on ev.post_id = p.id
        """;

    private static DatasetCandidate Read(NpgsqlDataReader reader)
    {
        var id = reader.GetGuid(0);
        var label = reader.IsDBNull(22) ? (LabelDecision?)null : DatabaseNames.Parse<LabelDecision>(reader.GetString(22));
        var texts = Enumerable.Range(8, 6).Select(i => reader.IsDBNull(i) ? null : reader.GetString(i)).OfType<string>().ToList();
        var candidate = new EligibilityCandidate(id, reader.GetGuid(1), DatabaseNames.Parse<PostStatus>(reader.GetString(2)), label,
            reader.GetFieldValue<DateTimeOffset>(3))
        {
            DeletedAt = reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
            Sensitive = reader.GetBoolean(6),
            AllowTraining = reader.IsDBNull(7) ? null : reader.GetBoolean(7),
            Texts = texts,
            Pdq = reader.IsDBNull(18) ? null : reader.GetFieldValue<byte[]>(18),
            Signals = reader.IsDBNull(19) ? null : EligibilityReader.Signals(reader.GetString(19)),
            OpenReports = reader.GetInt32(20),
            MediaPresent = !reader.IsDBNull(14),
        };
        var source = reader.IsDBNull(23) ? null : reader.GetString(23);
        var confidence = source == "human" ? 1.0 : 1.0 - (reader.IsDBNull(26) ? 0.0 : reader.GetFloat(26));
        var sources = reader.IsDBNull(32) ? [] : reader.GetFieldValue<string[]>(32);
        var categories = reader.IsDBNull(33) ? [] : reader.GetFieldValue<string[]>(33);
        var scores = reader.IsDBNull(34) ? [] : reader.GetFieldValue<float[]>(34);
        var versions = reader.IsDBNull(35) ? [] : reader.GetFieldValue<string[]>(35);
        var row = new CandidateRowData(DatabaseNames.Parse<PromptVisibility>(reader.GetString(28)),
            reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(11) ? null : reader.GetString(11),
            reader.IsDBNull(29) ? null : $"{reader.GetString(29)}/{reader.GetString(30)}", reader.IsDBNull(31) ? null : reader.GetInt64(31),
            [.. sources.Select((s, i) => (s, categories[i], scores[i], versions[i]))],
            reader.GetInt64(36), reader.GetInt64(37), reader.GetInt64(38), reader.GetInt64(39), reader.IsDBNull(40) ? null : reader.GetInt32(40));

        return new DatasetCandidate(candidate, reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(10) ? null : reader.GetString(10),
            reader.IsDBNull(14) ? null : new PostMedia(reader.GetString(14), reader.GetString(15), reader.GetInt32(16), reader.GetInt32(17)),
            reader.GetFieldValue<string[]>(21), source, source == "human" && !reader.IsDBNull(25) ? reader.GetString(25) : null,
            reader.IsDBNull(24) ? null : reader.GetString(24), confidence, row)
        {
            PdqDihedral = reader.IsDBNull(reader.FieldCount - 1) ? null : reader.GetFieldValue<byte[]>(reader.FieldCount - 1),
            MediaBytes = reader.IsDBNull(27) ? 0 : reader.GetInt64(27),
        };
    }
}
