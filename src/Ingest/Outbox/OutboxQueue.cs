using Npgsql;

namespace AiSocial.Ingest.Outbox;

public static class OutboxTopics
{
    /// <summary>A post was accepted and waits for its checks.</summary>
    public const string PostSubmitted = "post.submitted";

    /// <summary>A person reported a post, comment or account (the subject is the report's id).</summary>
    public const string ReportSubmitted = "report.submitted";
}

public sealed record OutboxMessage(long Id, string Topic, Guid SubjectId, int Attempts, string LeaseOwner);

/// <summary>
/// The transactional outbox, consumed as a work queue: rows are leased with <c>FOR UPDATE SKIP LOCKED</c> and a lease
/// expiry, so any number of workers share them, and a worker that dies leaves its rows to be leased again.
/// </summary>
public sealed class OutboxQueue(NpgsqlDataSource dataSource)
{
    /// <summary>Adds a message in the caller's transaction, so it exists exactly when the change it announces does.</summary>
    public static async Task EnqueueAsync(NpgsqlConnection connection, string topic, Guid subjectId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("insert into ingest.outbox (topic, subject_id) values ($1, $2)", connection);
        command.Parameters.Add(new() { Value = topic });
        command.Parameters.Add(new() { Value = subjectId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<OutboxMessage>> LeaseAsync(string topic, int max, TimeSpan leaseFor, string owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            with ready as (
                select id from ingest.outbox
                where topic = $1 and completed_at is null and available_at <= now()
                  and (leased_until is null or leased_until < now())
                order by id
                limit $2
                for update skip locked
            )
            update ingest.outbox o
            set leased_until = now() + $3, lease_owner = $4, attempts = o.attempts + 1
            from ready where o.id = ready.id
            returning o.id, o.topic, o.subject_id, o.attempts
            """);
        command.Parameters.Add(new() { Value = topic });
        command.Parameters.Add(new() { Value = max });
        command.Parameters.Add(new() { Value = leaseFor });
        command.Parameters.Add(new() { Value = owner });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var messages = new List<OutboxMessage>();
        while (await reader.ReadAsync(cancellationToken))
        {
            messages.Add(new OutboxMessage(reader.GetInt64(0), reader.GetString(1), reader.GetGuid(2), reader.GetInt32(3), owner));
        }

        return messages.OrderBy(m => m.Id).ToList();
    }

    /// <summary>
    /// Marks a leased message done in the caller's transaction. False when the lease was lost (it expired and another
    /// worker took it): the caller must roll back, since the other worker will do the work.
    /// </summary>
    public static async Task<bool> CompleteAsync(NpgsqlConnection connection, OutboxMessage message, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            update ingest.outbox set completed_at = now(), leased_until = null, last_error = null
            where id = $1 and lease_owner = $2 and completed_at is null and leased_until >= now()
            """, connection);
        command.Parameters.Add(new() { Value = message.Id });
        command.Parameters.Add(new() { Value = message.LeaseOwner });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Gives a message back to be tried again after <paramref name="delay"/>, noting why it failed.</summary>
    public async Task RetryLaterAsync(OutboxMessage message, TimeSpan delay, string error, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            update ingest.outbox set leased_until = null, available_at = now() + $3, last_error = $4
            where id = $1 and lease_owner = $2 and completed_at is null
            """);
        command.Parameters.Add(new() { Value = message.Id });
        command.Parameters.Add(new() { Value = message.LeaseOwner });
        command.Parameters.Add(new() { Value = delay });
        command.Parameters.Add(new() { Value = error.Length > 2000 ? error[..2000] : error });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long> CountPendingAsync(string topic, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select count(*) from ingest.outbox where topic = $1 and completed_at is null");
        command.Parameters.Add(new() { Value = topic });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
