using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Ingest.Timelines;

/// <summary>A trending snapshot the ranker wrote: its generation and how many posts it ranks.</summary>
public sealed record TrendingSnapshot(long Generation, int Posts);

/// <summary>
/// Ranks recently published posts by a hot score and writes the ranking as a new snapshot that the trending timeline
/// pages through. The score weighs likes, comments, remixes and views (from <c>ingest.post_counters</c>) and decays
/// with age, as (1 + likes + 2·comments + 3·remixes + views/10) / (hours since publication + 2)^1.5. Sensitive and
/// deleted posts and variations (shown through the post they were collapsed into) never trend. Superseded snapshots are kept for <see cref="TimelineOptions.TrendingRetention"/>.
/// </summary>
public sealed class TrendingRanker(NpgsqlDataSource dataSource, IOptions<TimelineOptions> options, TimeProvider clock, ILogger<TrendingRanker> logger)
{
    public async Task<TrendingSnapshot> RecomputeAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long generation;
        await using (var command = new NpgsqlCommand("insert into ingest.trending_generations (computed_at, post_count) values ($1, 0) returning generation", connection))
        {
            command.Parameters.Add(new() { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            generation = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        int ranked;
        await using (var command = new NpgsqlCommand(
            """
            insert into ingest.trending_posts (generation, rank, post_id, score)
            select $1, row_number() over (order by s.score desc, s.id desc), s.id, s.score
            from (
                select p.id,
                       (1 + coalesce(c.like_count, 0) + 2 * coalesce(c.comment_count, 0) + 3 * coalesce(c.remix_count, 0)
                          + coalesce(c.view_count, 0) / 10.0)
                       / power(greatest(extract(epoch from $2 - p.published_at), 0) / 3600.0 + 2, 1.5) as score
                from ingest.posts p
                left join ingest.post_counters c on c.post_id = p.id
                where p.status = 'published' and p.deleted_at is null and p.variation_of is null and not p.sensitive
                  and p.published_at > $2 - $3
                order by score desc, p.id desc
                limit $4
            ) s
            """, connection))
        {
            command.Parameters.Add(new() { Value = generation, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new() { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new() { Value = settings.TrendingWindow, NpgsqlDbType = NpgsqlDbType.Interval });
            command.Parameters.Add(new() { Value = settings.TrendingSize, NpgsqlDbType = NpgsqlDbType.Integer });
            ranked = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var batch = new NpgsqlBatch(connection))
        {
            batch.BatchCommands.Add(new("update ingest.trending_generations set post_count = $2 where generation = $1")
            {
                Parameters = { new() { Value = generation }, new() { Value = ranked } },
            });
            batch.BatchCommands.Add(new("delete from ingest.trending_generations where generation < $1 and computed_at < $2")
            {
                Parameters = { new() { Value = generation }, new() { Value = now - settings.TrendingRetention } },
            });
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Trending snapshot {Generation} ranks {Posts} posts", generation, ranked);
        return new TrendingSnapshot(generation, ranked);
    }
}
