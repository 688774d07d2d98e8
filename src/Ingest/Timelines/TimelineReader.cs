using System.Text.RegularExpressions;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Posts;
using AiSocial.Problems;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Ingest.Timelines;

/// <summary>
/// Reads the timelines a person sees. Every one hides tombstones, suspended authors, authors the reader blocks or is
/// blocked by, and authors the reader mutes; shows an author's variations (posts within PDQ distance 31 of an earlier
/// one of theirs, published at most a day after it; decided at publication, see migration 0012) only through the
/// post they were collapsed into; and pages with a cursor over a stable order: a post's place never changes once
/// published, so posts that arrive between pages are neither skipped nor repeated.
/// </summary>
public sealed partial class TimelineReader(NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 100;
    public const string TagRule = "A tag is 1 to 64 letters, digits or underscores, with or without a leading '#'.";

    public Task<Outcome<TimelinePage>> HomeAsync(Guid viewer, string? cursor, int limit, CancellationToken cancellationToken) =>
        ReadAsync(TimelineKind.Home, viewer, cursor, limit, null, cancellationToken);

    public Task<Outcome<TimelinePage>> PublicAsync(Guid? viewer, string? cursor, int limit, CancellationToken cancellationToken) =>
        ReadAsync(TimelineKind.Public, viewer, cursor, limit, null, cancellationToken);

    /// <summary>Posts carrying <paramref name="tag"/> (normalised: lower case, no '#'), newest first.</summary>
    public Task<Outcome<TimelinePage>> TagAsync(Guid? viewer, string tag, string? cursor, int limit, CancellationToken cancellationToken) =>
        NormalizeTag(tag) is { } normalised
            ? ReadAsync(TimelineKind.Tag, viewer, cursor, limit, new NpgsqlParameter { Value = normalised, NpgsqlDbType = NpgsqlDbType.Text }, cancellationToken)
            : Task.FromResult<Outcome<TimelinePage>>(Refusal.Invalid("tag", TagRule));

    /// <summary>
    /// One account's posts, newest first, with its pending ones when the reader is its author. An account that does
    /// not exist, is suspended, or blocks or is blocked by the reader is not found.
    /// </summary>
    public async Task<Outcome<TimelinePage>> ProfileAsync(Guid? viewer, string handle, string? cursor, int limit, CancellationToken cancellationToken)
    {
        Guid? author;
        await using (var command = dataSource.CreateCommand(
            """
            select a.id from ingest.accounts a
            where a.handle = $1 and a.suspended_at is null and ($2::uuid is null or a.id = $2 or not ingest.blocked_between($2, a.id))
            """))
        {
            command.Parameters.Add(new() { Value = AccountRegistry.NormalizeHandle(handle), NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = (object?)viewer ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            author = (Guid?)await command.ExecuteScalarAsync(cancellationToken);
        }

        if (author is null)
        {
            return new Refusal(CommonProblems.NotFound, handle.Length <= AccountRegistry.MaxHandleLength
                ? $"There is no account @{handle}."
                : $"There is no account with that handle; handles are at most {AccountRegistry.MaxHandleLength} characters.");
        }

        return await ReadAsync(TimelineKind.Profile, viewer, cursor, limit, new NpgsqlParameter { Value = author.Value, NpgsqlDbType = NpgsqlDbType.Uuid },
            cancellationToken);
    }

    /// <summary>
    /// The latest trending snapshot (see <see cref="TrendingRanker"/>), best first; a cursor pages through the snapshot
    /// it began in, and is refused with <c>cursor-expired</c> once that snapshot is gone. Sensitive posts never trend.
    /// </summary>
    public async Task<Outcome<TimelinePage>> TrendingAsync(Guid? viewer, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var decoded = TimelineCursor.Decode(cursor, TimelineKind.Trending);
        if (decoded.Refusal is { } refusal)
        {
            return refusal;
        }

        long? generation;
        await using (var command = dataSource.CreateCommand(decoded.Value is null
                         ? "select max(generation) from ingest.trending_generations"
                         : "select generation from ingest.trending_generations where generation = $1"))
        {
            command.Parameters.Add(new() { Value = decoded.Value?.Generation ?? 0L, NpgsqlDbType = NpgsqlDbType.Bigint });
            generation = await command.ExecuteScalarAsync(cancellationToken) is long found ? found : null;
        }

        if (generation is null)
        {
            return decoded.Value is null
                ? new TimelinePage([], null)
                : new Refusal(IngestProblems.CursorExpired, "The trending ranking this cursor pages through has been replaced; start again without a cursor.");
        }

        return await ReadAsync(TimelineKind.Trending, viewer, decoded.Value ?? TimelineCursor.InSnapshot(generation.Value, 0), limit,
            new NpgsqlParameter { Value = generation.Value, NpgsqlDbType = NpgsqlDbType.Bigint }, cancellationToken);
    }

    /// <summary>
    /// The query that picks a page of <paramref name="kind"/>: $1 the reader (null when signed out), $2 and $3 the
    /// position after which the page starts (when <paramref name="after"/>), $4 the number of rows wanted, $5 the tag,
    /// author or trending generation, $6 the trending rank after which the page starts. It returns, in order: id, sort
    /// time, reason, whether the reader follows the author, rank. The benchmark runs the same text through pgbench.
    /// </summary>
    internal static string CandidatesSql(TimelineKind kind, bool after)
    {
        var candidates = kind switch
        {
            TimelineKind.Home =>
                $"""
                with authors as (
                    select f.followee_id as id from ingest.follows f where f.follower_id = $1
                    union all
                    select $1
                )
                select p.id, p.published_at as at, p.author_id, p.remix_of, null::integer as rank
                from authors s
                cross join lateral (
                    select p.id, p.published_at, p.author_id, p.remix_of
                    from ingest.posts p
                    where p.author_id = s.id and {Listed("p")} and {After(after, "p.published_at", "p.id")}
                    order by p.published_at desc, p.id desc
                    limit $4) p
                where {Visible("s.id")}
                union all
                (select p.id, p.created_at, p.author_id, p.remix_of, null
                 from ingest.posts p
                 where p.author_id = $1 and p.status = 'pending' and p.deleted_at is null and {After(after, "p.created_at", "p.id")}
                 order by p.created_at desc, p.id desc
                 limit $4)
                union all
                (select r.id, r.published_at, r.author_id, r.remix_of, null
                 from ingest.posts r
                 where r.remix_of in (select o.id from ingest.posts o where o.author_id = $1)
                   and {Listed("r")} and r.author_id <> $1
                   and not exists (select 1 from ingest.follows f where f.follower_id = $1 and f.followee_id = r.author_id)
                   and {After(after, "r.published_at", "r.id")} and {Visible("r.author_id")}
                 order by r.published_at desc, r.id desc
                 limit $4)
                """,
            TimelineKind.Public =>
                $"""
                select p.id, p.published_at as at, p.author_id, p.remix_of, null::integer as rank
                from ingest.posts p
                where {Listed("p")} and {After(after, "p.published_at", "p.id")} and {Visible("p.author_id")}
                """,
            TimelineKind.Tag =>
                $"""
                select p.id, t.published_at as at, p.author_id, p.remix_of, null::integer as rank
                from ingest.post_tags t
                join ingest.posts p on p.id = t.post_id
                where t.tag = $5 and t.published_at is not null and {After(after, "t.published_at", "t.post_id")}
                  and {Listed("p")} and {Visible("p.author_id")}
                """,
            TimelineKind.Profile =>
                $"""
                (select p.id, p.published_at as at, p.author_id, p.remix_of, null::integer as rank
                 from ingest.posts p
                 where p.author_id = $5 and {Listed("p")} and {After(after, "p.published_at", "p.id")} and {Visible("p.author_id")}
                 order by p.published_at desc, p.id desc
                 limit $4)
                union all
                (select p.id, p.created_at, p.author_id, p.remix_of, null
                 from ingest.posts p
                 where p.author_id = $5 and $5 = $1 and p.status = 'pending' and p.deleted_at is null
                   and {After(after, "p.created_at", "p.id")}
                 order by p.created_at desc, p.id desc
                 limit $4)
                """,
            TimelineKind.Trending =>
                $"""
                select p.id, p.published_at as at, p.author_id, p.remix_of, t.rank
                from ingest.trending_posts t
                join ingest.posts p on p.id = t.post_id
                where t.generation = $5 and t.rank > $6 and {Listed("p")} and not p.sensitive and {Visible("p.author_id")}
                """,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var reason = kind switch
        {
            TimelineKind.Home =>
                """
                case when c.author_id = $1 then 'own'
                     when exists (select 1 from ingest.posts o where o.id = c.remix_of and o.author_id = $1) then 'remixOfYours'
                     else 'followed' end
                """,
            TimelineKind.Profile => "case when c.author_id = $1 then 'own' else 'profile' end",
            _ => $"'{kind.ToDatabase()}'",
        };
        var order = kind == TimelineKind.Trending ? "c.rank" : "c.at desc, c.id desc";
        // The reason and the follow are worked out for the page only, not for every candidate.
        return
            $"""
            select c.id, c.at, {reason} as reason, {Follows("c.author_id")} as follows, c.rank
            from (
                select c.* from ({candidates}) c
                order by {order}
                limit $4
            ) c
            order by {order}
            """;
    }

    /// <summary>
    /// <see cref="CandidatesSql"/>'s page with its posts (<see cref="PostStore.PostColumns"/>, then the candidate's
    /// time, reason, follow and rank, then the ids of the post's collapsed variations, oldest first), in page order:
    /// one round trip per page. The benchmark runs the same text through pgbench.
    /// </summary>
    internal static string PageSql(TimelineKind kind, bool after) =>
        $"""
        select {PostStore.PostColumns}, k.at, k.reason, k.follows, k.rank,
               array(select v.id from ingest.posts v
                     where v.variation_of = p.id and v.status = 'published' and v.deleted_at is null
                     order by v.published_at, v.id)
        from ({CandidatesSql(kind, after)}) k
        join ingest.posts p on p.id = k.id
        {PostStore.PostJoins}
        order by {(kind == TimelineKind.Trending ? "k.rank" : "k.at desc, k.id desc")}
        """;

    /// <summary>Lower case without a leading '#'; null when it cannot be a tag.</summary>
    public static string? NormalizeTag(string tag)
    {
        var normalised = tag.Trim().TrimStart('#').ToLowerInvariant();
        return TagFormat().IsMatch(normalised) ? normalised : null;
    }

    [GeneratedRegex(@"^\w{1,64}$")]
    private static partial Regex TagFormat();

    /// <summary>Shown in timelines: published, not deleted, not collapsed into another post as its variation.</summary>
    private static string Listed(string alias) => $"{alias}.status = 'published' and {alias}.deleted_at is null and {alias}.variation_of is null";

    private static string After(bool after, string at, string id) => after ? $"({at}, {id}) < ($2, $3)" : "true";
    private static string Follows(string author) =>
        $"($1::uuid is not null and exists (select 1 from ingest.follows f where f.follower_id = $1 and f.followee_id = {author}))";

    /// <summary>The author is not suspended, and (for a signed-in reader other than the author) neither blocked nor muted.</summary>
    private static string Visible(string author) =>
        $"""
        not exists (select 1 from ingest.accounts x where x.id = {author} and x.suspended_at is not null)
        and ($1::uuid is null or {author} = $1 or not (ingest.blocked_between($1, {author})
             or exists (select 1 from ingest.mutes m where m.muter_id = $1 and m.muted_id = {author})))
        """;

    private async Task<Outcome<TimelinePage>> ReadAsync(TimelineKind kind, Guid? viewer, string? cursor, int limit, NpgsqlParameter? subject,
        CancellationToken cancellationToken)
    {
        var decoded = TimelineCursor.Decode(cursor, kind);
        return decoded.Refusal is { } refusal ? refusal : await ReadAsync(kind, viewer, decoded.Value, limit, subject, cancellationToken);
    }

    private async Task<TimelinePage> ReadAsync(TimelineKind kind, Guid? viewer, TimelineCursor? position, int limit, NpgsqlParameter? subject,
        CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var rows = new List<(TimelineEntry Entry, DateTimeOffset At, int? Rank)>();
        await using (var command = dataSource.CreateCommand(PageSql(kind, after: position is not null && kind != TimelineKind.Trending)))
        {
            command.Parameters.Add(new() { Value = (object?)viewer ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new() { Value = position?.At ?? DateTimeOffset.UnixEpoch, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new() { Value = position?.PostId ?? Guid.Empty, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new() { Value = limit + 1, NpgsqlDbType = NpgsqlDbType.Integer });
            command.Parameters.Add(subject ?? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = position?.Rank ?? 0, NpgsqlDbType = NpgsqlDbType.Integer });

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            const int at = PostStore.PostColumnCount;
            while (await reader.ReadAsync(cancellationToken))
            {
                var post = PostStore.ReadPost(reader);
                var reason = DatabaseNames.Parse<TimelineReason>(reader.GetString(at + 1));
                var entry = new TimelineEntry(post, reason, PromptAudience.Shows(post, viewer, reader.GetBoolean(at + 2)), reader.GetFieldValue<Guid[]>(at + 4));
                rows.Add((entry, reader.GetFieldValue<DateTimeOffset>(at), reader.IsDBNull(at + 3) ? null : reader.GetInt32(at + 3)));
            }
        }

        string? next = null;
        if (rows.Count > limit)
        {
            var last = rows[limit - 1];
            next = (kind == TimelineKind.Trending
                ? TimelineCursor.InSnapshot((long)subject!.Value!, last.Rank!.Value)
                : TimelineCursor.After(kind, last.At, last.Entry.Post.Id)).Encode();
        }

        return new TimelinePage([.. rows.Take(limit).Select(r => r.Entry)], next);
    }
}
