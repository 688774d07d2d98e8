using Npgsql;

namespace AiSocial.Ingest.Accounts;

/// <summary>A console sign-in as the server keeps it; the browser's cookie only names it.</summary>
public sealed record StaffSession(Guid Id, Guid AccountId, DateTimeOffset ExpiresAt);

/// <summary>
/// Console sessions kept on the server, so signing out ends one whatever the browser kept, and a change to the account
/// (a role taken away, a suspension, a new password — each renews its security stamp) ends all of them.
/// </summary>
public sealed class StaffSessions(NpgsqlDataSource dataSource)
{
    /// <summary>The longest a session lasts, however active; the cookie's sliding expiry is shorter.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    public async Task<StaffSession> StartAsync(Account account, string? address, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            insert into ingest.staff_sessions (id, account_id, security_stamp, expires_at, address)
            select $1, id, security_stamp, now() + $3, $4 from ingest.accounts where id = $2
            returning expires_at
            """);
        var id = Guid.CreateVersion7();
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = account.Id });
        command.Parameters.Add(new() { Value = Lifetime });
        command.Parameters.Add(new() { Value = (object?)address ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var expiresAt = (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
        return new StaffSession(id, account.Id, new DateTimeOffset(expiresAt, TimeSpan.Zero));
    }

    /// <summary>
    /// Whether the session still stands: not ended or expired, its account not suspended, and the account's security
    /// stamp the one the session began under. One indexed query.
    /// </summary>
    public async Task<bool> IsLiveAsync(Guid sessionId, Guid accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select exists (
                select 1 from ingest.staff_sessions s join ingest.accounts a on a.id = s.account_id
                where s.id = $1 and s.account_id = $2 and s.ended_at is null and s.expires_at > now()
                  and a.suspended_at is null and a.security_stamp = s.security_stamp)
            """);
        command.Parameters.Add(new() { Value = sessionId });
        command.Parameters.Add(new() { Value = accountId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task EndAsync(Guid sessionId, string reason, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update ingest.staff_sessions set ended_at = now(), ended_reason = $2 where id = $1 and ended_at is null");
        command.Parameters.Add(new() { Value = sessionId });
        command.Parameters.Add(new() { Value = reason });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
