using Npgsql;

namespace AiSocial.Ingest.Posts;

/// <summary>
/// Forgets Idempotency-Keys once they are <see cref="KeyLifetime"/> old: a retry comes within minutes, and a key kept
/// for ever would make every later post with it a replay. After the purge the same key may make a new post.
/// </summary>
public sealed class IdempotencyKeyPurge(NpgsqlDataSource dataSource, TimeProvider time)
{
    public static readonly TimeSpan KeyLifetime = TimeSpan.FromHours(24);

    // Each statement clears at most this many keys, so a large backlog never holds many row locks at once.
    private const int BatchSize = 10_000;

    /// <summary>Clears every key older than <see cref="KeyLifetime"/>; returns how many it cleared.</summary>
    public async Task<long> PurgeAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - KeyLifetime;
        long purged = 0;
        while (true)
        {
            await using var command = dataSource.CreateCommand(
                """
                update ingest.posts set idempotency_key = null, request_fingerprint = null
                where id in (
                    select id from ingest.posts
                    where idempotency_key is not null and created_at < $1
                    limit $2 for update skip locked)
                """);
            command.Parameters.Add(new() { Value = cutoff });
            command.Parameters.Add(new() { Value = BatchSize });
            var cleared = await command.ExecuteNonQueryAsync(cancellationToken);
            purged += cleared;
            if (cleared < BatchSize)
            {
                return purged;
            }
        }
    }
}
