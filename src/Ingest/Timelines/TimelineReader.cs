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
/// blocked by, and authors the reader mutes; collapses an author's variations (posts within PDQ distance 31 of an
/// earlier one of theirs, published at most a day after it) into the earliest; and pages with a cursor over a stable
/// order: a post's place never changes once published, and a variation hides only behind a post older than itself,
/// so posts that arrive between pages are neither skipped nor repeated.
/// </summary>
public sealed partial class TimelineReader(NpgsqlDataSource dataSource, PostStore posts)
{
    public const int MaxPageSize = 100;
    public const int MaxVariationDistance = 31;
    public const string TagRule = "A tag is 1 to 64 letters, digits or underscores, with or without a leading '#'.";

    public Task<Outcome<TimelinePage>> HomeAsync(Guid viewer, string? cursor, int limit, CancellationToken cancellationToken) =>
        ReadAsync(TimelineKind.Home, viewer, cursor, limit, null, position =>
            $"""
            with authors as (
                select f.followee_id as id from ingest.follows f where f.follower_id = $1
                union all
                select $1
            )
            select c.id, c.at, c.reason, c.follows, null::integer from (
                select p.id, p.published_at as at,
                       case when p.author_id = $1 then 'own'
                            when exists (select 1 from ingest.posts o where o.id = p.remix_of and o.author_id = $1) then 'remixOfYours'
                            else 'followed' end as reason,
                       p.author_id <> $1 as follows
                from authors s
                cross join lateral (
                    select p.id, p.published_at, p.author_id, p.remix_of
                    from ingest.posts p
                    where p.author_id = s.id and {Public("p")} and {After(position, "p.published_at", "p.id")} and {Leader("p")}
                    order by p.published_at desc, p.id desc
                    limit $4) p
                where {Visible("s.id")}
                union all
                (select p.id, p.created_at, 'own', false
                 from ingest.posts p
                 where p.author_id = $1 and p.status = 'pending' and p.deleted_at is null and {After(position, "p.created_at", "p.id")}
                 order by p.created_at desc, p.id desc
                 limit $4)
                union all
                (select r.id, r.published_at, 'remixOfYours', false
                 from ingest.posts r
                 where r.remix_of in (select o.id from ingest.posts o where o.author_id = $1)
                   and {Public("r")} and r.author_id <> $1
                   and not exists (select 1 from ingest.follows f where f.follower_id = $1 and f.followee_id = r.author_id)
                   and {After(position, "r.published_at", "r.id")} and {Visible("r.author_id")} and {Leader("r")}
                 order by r.published_at desc, r.id desc
                 limit $4)
            ) c
            order by c.at desc, c.id desc
            limit $4
            """, cancellationToken);

    public Task<Outcome<TimelinePage>> PublicAsync(Guid? viewer, string? cursor, int limit, CancellationToken cancellationToken) =>
        ReadAsync(TimelineKind.Public, viewer, cursor, limit, null, position =>
            $"""
            select p.id, p.published_at, 'public', {Follows("p.author_id")}, null::integer
            from ingest.posts p
            where {Public("p")} and {After(position, "p.published_at", "p.id")} and {Visible("p.author_id")} and {Leader("p")}
            order by p.published_at desc, p.id desc
            limit $4
            """, cancellationToken);

    /// <summary>Posts carrying <paramref name="tag"/> (normalised: lower case, no '#'), newest first.</summary>
    public Task<Outcome<TimelinePage>> TagAsync(Guid? viewer, string tag, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var normalised = NormalizeTag(tag);
        if (normalised is null)
        {
            return Task.FromResult<Outcome<TimelinePage>>(Refusal.Invalid("tag", TagRule));
        }

        return ReadAsync(TimelineKind.Tag, viewer, cursor, limit, new NpgsqlParameter { Value = normalised, NpgsqlDbType = NpgsqlDbType.Text }, position =>
            $"""
            select p.id, t.published_at, 'tag', {Follows("p.author_id")}, null::integer
            from ingest.post_tags t
            join ingest.posts p on p.id = t.post_id
            where t.tag = $5 and t.published_at is not null and {After(position, "t.published_at", "t.post_id")}
              and {Public("p")} and {Visible("p.author_id")} and {Leader("p")}
            order by t.published_at desc, t.post_id desc
            limit $4
            """, cancellationToken);
    }

    /// <summary>
    /// One account's posts, newest first, with its pending ones when the reader is its author. An account that does
    /// not exist, is suspended, or blocks or is blocked by the reader is not found.
    /// </summary>
    public async Task<Outcome<TimelinePage>> ProfileAsync(Guid? viewer, string handle, string? cursor, int limit, CancellationToken cancellationToken)
    {
        Guid? author = null;
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
            position =>
                $"""
                select c.id, c.at, case when c.author_id = $1 then 'own' else 'profile' end, {Follows("c.author_id")}, null::integer
                from (
                    (select p.id, p.published_at as at, p.author_id
                     from ingest.posts p
                     where p.author_id = $5 and {Public("p")} and {After(position, "p.published_at", "p.id")} and {Leader("p")}
                     order by p.published_at desc, p.id desc
                     limit $4)
                    union all
                    (select p.id, p.created_at, p.author_id
                     from ingest.posts p
                     where p.author_id = $5 and $5 = $1 and p.status = 'pending' and p.deleted_at is null
                       and {After(position, "p.created_at", "p.id")}
                     order by p.created_at desc, p.id desc
                     limit $4)
                ) c
                where {Visible("c.author_id")}
                order by c.at desc, c.id desc
                limit $4
                """, cancellationToken);
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
            var found = await command.ExecuteScalarAsync(cancellationToken);
            generation = found is long g ? g : null;
        }

        if (generation is null)
        {
            return decoded.Value is null
                ? new TimelinePage([], null)
                : new Refusal(IngestProblems.CursorExpired, "The trending ranking this cursor pages through has been replaced; start again without a cursor.");
        }

        var rank = decoded.Value?.Rank ?? 0;
        return await ReadAsync(TimelineKind.Trending, viewer, null, limit, new NpgsqlParameter { Value = generation.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
            _ =>
                $"""
                select p.id, p.published_at, 'trending', {Follows("p.author_id")}, t.rank
                from ingest.trending_posts t
                join ingest.posts p on p.id = t.post_id
                where t.generation = $5 and t.rank > {rank} and {Public("p")} and not p.sensitive
                  and {Visible("p.author_id")} and {Leader("p")}
                order by t.rank
                limit $4
                """, cancellationToken);
    }

    /// <summary>Lower case without a leading '#'; null when it cannot be a tag.</summary>
    public static string? NormalizeTag(string tag)
    {
        var normalised = tag.Trim().TrimStart('#').ToLowerInvariant();
        return TagFormat().IsMatch(normalised) ? normalised : null;
    }

    [GeneratedRegex(@"^\w{1,64}$")]
    private static partial Regex TagFormat();

    private static string Public(string alias) => $"{alias}.status = 'published' and {alias}.deleted_at is null";

    private static string After(TimelineCursor? position, string at, string id) => position is null ? "true" : $"({at}, {id}) < ($2, $3)";

    private static string Follows(string author) =>
        $"($1::uuid is not null and exists (select 1 from ingest.follows f where f.follower_id = $1 and f.followee_id = {author}))";

    /// <summary>The author is not suspended, and (for a signed-in reader other than the author) neither blocked nor muted.</summary>
    private static string Visible(string author) =>
        $"""
        not exists (select 1 from ingest.accounts x where x.id = {author} and x.suspended_at is not null)
        and ($1::uuid is null or {author} = $1 or not (ingest.blocked_between($1, {author})
             or exists (select 1 from ingest.mutes m where m.muter_id = $1 and m.muted_id = {author})))
        """;

    /// <summary>The post is not a variation of an earlier post of its author's, published at most a day before it.</summary>
    private static string Leader(string alias) =>
        $"""
        not exists (
            select 1 from ingest.media pm
            join ingest.posts e on e.author_id = {alias}.author_id and e.status = 'published' and e.deleted_at is null
                and e.published_at >= {alias}.published_at - interval '1 day' and (e.published_at, e.id) < ({alias}.published_at, {alias}.id)
            join ingest.media em on em.sha256 = e.media_sha256
            where pm.sha256 = {alias}.media_sha256 and pm.pdq_hash is not null
              and ingest.pdq_distance(pm.pdq_hash, em.pdq_hash) <= {MaxVariationDistance})
        """;

    private async Task<Outcome<TimelinePage>> ReadAsync(TimelineKind kind, Guid? viewer, string? cursor, int limit, NpgsqlParameter? subject,
        Func<TimelineCursor?, string> sql, CancellationToken cancellationToken)
    {
        TimelineCursor? position = null;
        if (kind != TimelineKind.Trending)
        {
            var decoded = TimelineCursor.Decode(cursor, kind);
            if (decoded.Refusal is { } refusal)
            {
                return refusal;
            }

            position = decoded.Value;
        }

        limit = Math.Clamp(limit, 1, MaxPageSize);
        // Each query returns the candidates in order: id, sort time, reason, whether the reader follows the author, rank.
        var candidates = new List<(Guid Id, DateTimeOffset At, TimelineReason Reason, bool Follows, int? Rank)>();
        await using (var command = dataSource.CreateCommand(sql(position)))
        {
            command.Parameters.Add(new() { Value = (object?)viewer ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new() { Value = position?.At ?? DateTimeOffset.UnixEpoch, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new() { Value = position?.PostId ?? Guid.Empty, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new() { Value = limit + 1, NpgsqlDbType = NpgsqlDbType.Integer });
            if (subject is not null)
            {
                command.Parameters.Add(subject);
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                candidates.Add((reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), DatabaseNames.Parse<TimelineReason>(reader.GetString(2)),
                    reader.GetBoolean(3), reader.IsDBNull(4) ? null : reader.GetInt32(4)));
            }
        }

        var page = candidates.Take(limit).ToList();
        var loaded = await posts.GetManyAsync(page.Select(c => c.Id).ToList(), cancellationToken);
        var variations = await VariationsAsync(page.Select(c => c.Id).ToArray(), cancellationToken);
        var items = page.Where(c => loaded.ContainsKey(c.Id)).Select(c =>
        {
            var post = loaded[c.Id];
            var showPrompt = post.PromptVisibility switch
            {
                PromptVisibility.Public => true,
                PromptVisibility.Followers => post.Author.Id == viewer || c.Follows,
                _ => post.Author.Id == viewer,
            };
            return new TimelineEntry(post, c.Reason, showPrompt, variations.GetValueOrDefault(c.Id, []));
        }).ToList();

        string? next = null;
        if (candidates.Count > limit)
        {
            var last = page[^1];
            next = (kind == TimelineKind.Trending
                ? TimelineCursor.InSnapshot((long)subject!.Value!, last.Rank!.Value)
                : TimelineCursor.After(kind, last.At, last.Id)).Encode();
        }

        return new TimelinePage(items, next);
    }

    /// <summary>For each published post given, the author's later posts within a day whose images are within the distance.</summary>
    private async Task<IReadOnlyDictionary<Guid, IReadOnlyList<Guid>>> VariationsAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<Guid, IReadOnlyList<Guid>>();
        if (ids.Length == 0)
        {
            return found;
        }

        await using var command = dataSource.CreateCommand(
            $"""
            select l.id, array_agg(v.id order by v.published_at, v.id)
            from ingest.posts l
            join ingest.media lm on lm.sha256 = l.media_sha256
            join ingest.posts v on v.author_id = l.author_id and v.status = 'published' and v.deleted_at is null
                and (v.published_at, v.id) > (l.published_at, l.id) and v.published_at <= l.published_at + interval '1 day'
            join ingest.media vm on vm.sha256 = v.media_sha256
            where l.id = any($1) and l.status = 'published' and lm.pdq_hash is not null
              and ingest.pdq_distance(lm.pdq_hash, vm.pdq_hash) <= {MaxVariationDistance}
            group by l.id
            """);
        command.Parameters.Add(new() { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found[reader.GetGuid(0)] = reader.GetFieldValue<Guid[]>(1);
        }

        return found;
    }
}
