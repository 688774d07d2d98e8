using Npgsql;

namespace AiSocial.Ingest.Social;

/// <summary>The statements interactions share; each runs on the caller's connection, inside its transaction.</summary>
internal static class SocialSql
{
    /// <summary>
    /// Serialises what two accounts do to each other: a block or follow takes it exclusively, a like, comment or repost
    /// shares it, so nothing slips in between the check for a block and the row it guards.
    /// </summary>
    public static async Task LockPairAsync(NpgsqlConnection connection, Guid a, Guid b, bool exclusive, CancellationToken cancellationToken)
    {
        var (low, high) = a.CompareTo(b) <= 0 ? (a, b) : (b, a);
        await using var command = new NpgsqlCommand(
            exclusive
                ? "select pg_advisory_xact_lock(hashtextextended($1::text || $2::text, 0))"
                : "select pg_advisory_xact_lock_shared(hashtextextended($1::text || $2::text, 0))", connection);
        command.Parameters.Add(new() { Value = low });
        command.Parameters.Add(new() { Value = high });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The author of a post the account may interact with (published, not deleted, no block either way), taking the pair
    /// lock first; null when there is no such post for this account.
    /// </summary>
    public static async Task<Guid?> InteractablePostAuthorAsync(NpgsqlConnection connection, Guid postId, Guid accountId,
        CancellationToken cancellationToken)
    {
        Guid authorId;
        await using (var command = new NpgsqlCommand("select author_id from ingest.posts where id = $1", connection))
        {
            command.Parameters.Add(new() { Value = postId });
            if (await command.ExecuteScalarAsync(cancellationToken) is not Guid author)
            {
                return null;
            }

            authorId = author;
        }

        if (authorId != accountId)
        {
            await LockPairAsync(connection, accountId, authorId, exclusive: false, cancellationToken);
        }

        await using (var command = new NpgsqlCommand(
            """
            select exists (select 1 from ingest.posts
                           where id = $1 and status = 'published' and deleted_at is null and not ingest.blocked_between(author_id, $2))
            """, connection))
        {
            command.Parameters.Add(new() { Value = postId });
            command.Parameters.Add(new() { Value = accountId });
            return (bool)(await command.ExecuteScalarAsync(cancellationToken))! ? authorId : null;
        }
    }

    /// <summary>Adds <paramref name="delta"/> to one counter of a post (the row may be missing) and returns the new value.</summary>
    public static async Task<long> AdjustPostCounterAsync(NpgsqlConnection connection, Guid postId, PostCounter counter, long delta,
        CancellationToken cancellationToken)
    {
        var column = counter switch
        {
            PostCounter.Likes => "like_count",
            PostCounter.Comments => "comment_count",
            PostCounter.Reposts => "repost_count",
            _ => throw new ArgumentOutOfRangeException(nameof(counter)),
        };
        await using var command = new NpgsqlCommand(
            $"""
            insert into ingest.post_counters (post_id, {column}) values ($1, greatest($2, 0))
            on conflict (post_id) do update set {column} = greatest(post_counters.{column} + $2, 0)
            returning {column}
            """, connection);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = delta });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public static async Task<long> PostCounterAsync(NpgsqlConnection connection, Guid postId, PostCounter counter, CancellationToken cancellationToken) =>
        await AdjustPostCounterAsync(connection, postId, counter, 0, cancellationToken);

    /// <summary>
    /// Adds to the follower and following counts of accounts, in the order of their ids, so two transactions never wait
    /// on each other's rows in opposite orders.
    /// </summary>
    public static async Task AdjustAccountCountersAsync(NpgsqlConnection connection,
        IEnumerable<(Guid Account, long Followers, long Following)> changes, CancellationToken cancellationToken)
    {
        foreach (var change in changes.GroupBy(c => c.Account).OrderBy(g => g.Key))
        {
            await using var command = new NpgsqlCommand(
                """
                insert into ingest.account_counters (account_id, follower_count, following_count) values ($1, greatest($2, 0), greatest($3, 0))
                on conflict (account_id) do update
                set follower_count = greatest(account_counters.follower_count + $2, 0),
                    following_count = greatest(account_counters.following_count + $3, 0)
                """, connection);
            command.Parameters.Add(new() { Value = change.Key });
            command.Parameters.Add(new() { Value = change.Sum(c => c.Followers) });
            command.Parameters.Add(new() { Value = change.Sum(c => c.Following) });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

internal enum PostCounter
{
    Likes,
    Comments,
    Reposts,
}
