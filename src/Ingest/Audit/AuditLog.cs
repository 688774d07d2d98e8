using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Ingest.Audit;

/// <summary>Who did something: a signed-in account, or the platform itself (a job, the command line).</summary>
public sealed record Actor(Guid? AccountId, string Name)
{
    public static Actor System(string component) => new(null, $"system:{component}");

    public static Actor CommandLine() => new(null, $"cli:{Environment.UserName}");
}

public sealed record AuditEntry(long Id, DateTimeOffset OccurredAt, Guid? ActorId, string Actor, string Action,
    string SubjectType, string SubjectId, JsonElement Detail);

/// <summary>The append-only audit log. Writes join the caller's transaction so an action and its record commit together.</summary>
public sealed class AuditLog(NpgsqlDataSource dataSource)
{
    public Task AppendAsync(NpgsqlConnection connection, Actor actor, string action, string subjectType, string subjectId,
        object? detail, CancellationToken cancellationToken) =>
        InsertAsync(connection, actor, action, subjectType, subjectId, detail, cancellationToken);

    /// <summary>The same, for code that runs on a caller's connection without the service (the consent ledger's erasure).</summary>
    internal static async Task InsertAsync(NpgsqlConnection connection, Actor actor, string action, string subjectType, string subjectId,
        object? detail, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            insert into ingest.audit_log (actor_id, actor, action, subject_type, subject_id, detail)
            values ($1, $2, $3, $4, $5, $6)
            """, connection);
        command.Parameters.Add(new() { Value = (object?)actor.AccountId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = actor.Name });
        command.Parameters.Add(new() { Value = action });
        command.Parameters.Add(new() { Value = subjectType });
        command.Parameters.Add(new() { Value = subjectId });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(detail ?? new { }), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records an action that changes nothing else, on a connection of its own.</summary>
    public async Task AppendAsync(Actor actor, string action, string subjectType, string subjectId, object? detail, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await AppendAsync(connection, actor, action, subjectType, subjectId, detail, cancellationToken);
    }

    public async Task<IReadOnlyList<AuditEntry>> ForSubjectAsync(string subjectType, string subjectId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select id, occurred_at, actor_id, actor, action, subject_type, subject_id, detail
            from ingest.audit_log where subject_type = $1 and subject_id = $2 order by id
            """);
        command.Parameters.Add(new() { Value = subjectType });
        command.Parameters.Add(new() { Value = subjectId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<AuditEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AuditEntry(
                reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1),
                reader.IsDBNull(2) ? null : reader.GetGuid(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), JsonElement.Parse(reader.GetString(7))));
        }

        return entries;
    }
}
