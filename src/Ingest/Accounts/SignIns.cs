using System.Text.RegularExpressions;
using AiSocial.Ingest.Audit;
using AiSocial.Problems;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiSocial.Ingest.Accounts;

/// <summary>
/// Signing in, as both hosts do it: a handle and password checked against the account, with failures counted per
/// account and per client address. From <see cref="SignInThrottleOptions.SlowAfterFailures"/> failures on, answers are slowed;
/// at the limit the account or address is locked for <see cref="SignInThrottleOptions.LockSeconds"/>, during which even the
/// right password is refused. Every failure and every lock is audited. Counts live in PostgreSQL, so every node agrees.
/// </summary>
public sealed partial class SignIns(NpgsqlDataSource dataSource, AccountRegistry accounts, AuditLog audit, IOptions<SignInThrottleOptions> options)
{
    private static readonly Actor Anonymous = new(null, "anonymous");

    private readonly SignInThrottleOptions _options = options.Value;

    [GeneratedRegex(AccountRegistry.HandleFormat)]
    private static partial Regex HandlePattern();

    /// <summary>The account, or why not: wrong credentials, a lock (with when to retry) or a suspension.</summary>
    public async Task<Outcome<Account>> SignInAsync(string? handle, string? password, string? address, CancellationToken cancellationToken)
    {
        // Only a handle that could exist is counted (and looked up); anything else still costs a password check.
        var known = handle is not null && HandlePattern().IsMatch(handle.Trim()) ? AccountRegistry.NormalizeHandle(handle) : null;
        var subjects = new List<(string Subject, int Limit)>();
        if (known is not null)
        {
            subjects.Add(($"account:{known}", _options.MaxFailuresPerAccount));
        }

        if (!string.IsNullOrEmpty(address))
        {
            subjects.Add(($"address:{address}", _options.MaxFailuresPerAddress));
        }

        var (failures, lockedFor) = await ReadAsync([.. subjects.Select(s => s.Subject)], cancellationToken);
        if (lockedFor is { } wait)
        {
            return Locked(wait);
        }

        if (failures >= _options.SlowAfterFailures)
        {
            var delay = Math.Min(_options.MaxDelayMilliseconds, 250 * Math.Pow(2, failures - _options.SlowAfterFailures));
            await Task.Delay(TimeSpan.FromMilliseconds(delay), cancellationToken);
        }

        var account = known is null || password is null || TextRules.Problem(password, multiLine: false) is not null
            ? await accounts.VerifyPasswordAsync(null, password, cancellationToken) // the same work as a real check, then null
            : await accounts.VerifyPasswordAsync(known, password, cancellationToken);
        if (account is null)
        {
            var lockedNow = await RecordFailureAsync(subjects, known, address, cancellationToken);
            return lockedNow is { } locked ? Locked(locked) : new Refusal(IngestProblems.InvalidCredentials, "Handle or password is wrong.");
        }

        if (account.Suspended)
        {
            return new Refusal(IngestProblems.AccountSuspended, "This account is suspended; ask an admin if you think this is a mistake.");
        }

        await ForgetAsync($"account:{known}", cancellationToken);
        return account;
    }

    private static Refusal Locked(TimeSpan wait) =>
        new(IngestProblems.SignInLocked, $"Too many failed sign-ins; try again in {Math.Ceiling(wait.TotalSeconds):0} seconds.")
        {
            RetryAfter = wait,
        };

    private async Task<(int Failures, TimeSpan? LockedFor)> ReadAsync(string[] subjects, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select coalesce(max(failures) filter (where first_failed_at >= now() - $2), 0),
                   max(locked_until - now()) filter (where locked_until > now())
            from ingest.sign_in_failures where subject = any($1)
            """);
        command.Parameters.Add(new() { Value = subjects });
        command.Parameters.Add(new() { Value = TimeSpan.FromMinutes(_options.FailureWindowMinutes) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<TimeSpan>(1));
    }

    /// <summary>Counts a failure against each subject, locking those at their limit; how long, if this failure locked one.</summary>
    private async Task<TimeSpan?> RecordFailureAsync(List<(string Subject, int Limit)> subjects, string? handle, string? address,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        TimeSpan? locked = null;
        var counts = new Dictionary<string, int>();
        foreach (var (subject, limit) in subjects)
        {
            await using var command = new NpgsqlCommand(
                """
                insert into ingest.sign_in_failures as f (subject, failures, first_failed_at, locked_until)
                values ($1, 1, now(), case when $2 <= 1 then now() + $3 end)
                on conflict (subject) do update set
                    failures = case when f.first_failed_at < now() - $4 or f.locked_until <= now() then 1 else f.failures + 1 end,
                    first_failed_at = case when f.first_failed_at < now() - $4 or f.locked_until <= now() then now() else f.first_failed_at end,
                    locked_until = case
                        when (case when f.first_failed_at < now() - $4 or f.locked_until <= now() then 1 else f.failures + 1 end) >= $2
                        then now() + $3 end
                returning failures, locked_until - now()
                """, connection);
            command.Parameters.Add(new() { Value = subject });
            command.Parameters.Add(new() { Value = limit });
            command.Parameters.Add(new() { Value = TimeSpan.FromSeconds(_options.LockSeconds) });
            command.Parameters.Add(new() { Value = TimeSpan.FromMinutes(_options.FailureWindowMinutes) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            counts[subject] = reader.GetInt32(0);
            if (!reader.IsDBNull(1))
            {
                var until = reader.GetFieldValue<TimeSpan>(1);
                locked = locked is { } longer && longer > until ? longer : until;
                await reader.DisposeAsync();
                await audit.AppendAsync(connection, Anonymous, "signin.lock", "sign_in", subject,
                    new { failures = counts[subject], seconds = (int)Math.Ceiling(until.TotalSeconds), address }, cancellationToken);
            }
        }

        await audit.AppendAsync(connection, Anonymous, "signin.failure", "sign_in", handle is null ? "(no such handle)" : $"account:{handle}",
            new { address, failures = counts }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return locked;
    }

    private async Task ForgetAsync(string subject, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("delete from ingest.sign_in_failures where subject = $1");
        command.Parameters.Add(new() { Value = subject });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
