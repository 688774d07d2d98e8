using System.Text.RegularExpressions;
using AiSocial.Ingest.Audit;
using AiSocial.Problems;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace AiSocial.Ingest.Accounts;

/// <summary>Creates accounts and checks credentials. Passwords are kept only as ASP.NET Core Identity hashes.</summary>
public sealed partial class AccountRegistry(NpgsqlDataSource dataSource, IPasswordHasher<Account> passwordHasher, AuditLog audit, TimeProvider clock)
{
    public const int MinimumAge = 13;
    public const int MinPasswordLength = 10;
    public const int MaxPasswordLength = 200;
    public const int MaxDisplayNameLength = 60;
    public const int MaxHandleLength = 30;
    public const int MinBirthYear = 1900;

    public const string HandleFormat = "^[A-Za-z0-9_]{3,30}$";
    public const string HandleRule = "Handle must be 3–30 letters, digits or underscores.";
    public const string DisplayNameRule = "Display name must be 1–60 characters.";
    public const string PasswordRule = "Password must be 10–200 characters.";

    // Verified when a handle is unknown, so a wrong handle takes as long as a wrong password.
    private static readonly Account Nobody = new(Guid.Empty, "nobody", "nobody", 2000, [], DateTimeOffset.UnixEpoch);
    private readonly Lazy<string> _decoyHash = new(() => passwordHasher.HashPassword(Nobody, Guid.NewGuid().ToString()));

    [GeneratedRegex(HandleFormat)]
    private static partial Regex HandlePattern();

    public static string NormalizeHandle(string handle) => handle.Trim().ToLowerInvariant();

    /// <summary>The new account; refused when a field is invalid or the handle is taken.</summary>
    public async Task<Outcome<Account>> RegisterAsync(NewAccount request, IReadOnlyCollection<string> roles, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var handle = request.Handle?.Trim() ?? "";
        if (!HandlePattern().IsMatch(handle))
        {
            errors.Add("handle", HandleRule);
        }

        if (TextRules.DisplayProblem(request.DisplayName ?? "", multiLine: false, out var displayName) is { } unreadable)
        {
            errors.Add("displayName", $"The display name {unreadable}.");
        }
        else if (displayName.Length > MaxDisplayNameLength)
        {
            errors.Add("displayName", DisplayNameRule);
        }

        var password = request.Password ?? "";
        if (password.Length is < MinPasswordLength or > MaxPasswordLength)
        {
            errors.Add("password", PasswordRule);
        }
        else if (TextRules.Problem(password, multiLine: false) is { } badPassword)
        {
            errors.Add("password", $"The password {badPassword}.");
        }

        var thisYear = clock.GetUtcNow().Year;
        if (request.BirthYear is not { } birthYear || birthYear < MinBirthYear || birthYear > thisYear)
        {
            errors.Add("birthYear", $"Birth year must be between {MinBirthYear} and {thisYear}.");
        }
        else if (thisYear - birthYear < MinimumAge)
        {
            errors.Add("birthYear", $"You must be at least {MinimumAge} to join.");
        }

        foreach (var role in roles.Where(r => !Roles.All.Contains(r)))
        {
            errors.Add("roles", $"Unknown role '{role}'.");
        }

        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        var account = new Account(Guid.CreateVersion7(), NormalizeHandle(handle), displayName, request.BirthYear!.Value,
            roles.Distinct().Order().ToList(), clock.GetUtcNow())
        { SecurityStamp = Guid.NewGuid() };
        var hash = passwordHasher.HashPassword(account, password);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            """
            insert into ingest.accounts (id, handle, display_name, birth_year, password_hash, created_at, security_stamp)
            values ($1, $2, $3, $4, $5, $6, $7)
            on conflict (handle) do nothing
            """, connection))
        {
            command.Parameters.Add(new() { Value = account.Id });
            command.Parameters.Add(new() { Value = account.Handle });
            command.Parameters.Add(new() { Value = account.DisplayName });
            command.Parameters.Add(new() { Value = account.BirthYear });
            command.Parameters.Add(new() { Value = hash });
            command.Parameters.Add(new() { Value = account.CreatedAt });
            command.Parameters.Add(new() { Value = account.SecurityStamp });
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return new Refusal(IngestProblems.HandleTaken, $"The handle '{account.Handle}' is taken.");
            }
        }

        await InsertRolesAsync(connection, account.Id, account.Roles, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return account;
    }

    /// <summary>Gives the account these roles (audited); they show in sessions started from now on.</summary>
    public async Task<Refusal?> GrantRolesAsync(Actor actor, Guid accountId, IReadOnlyCollection<string> roles, CancellationToken cancellationToken)
    {
        if (roles.FirstOrDefault(r => !Roles.All.Contains(r)) is { } unknown)
        {
            return Refusal.Invalid("roles", $"Unknown role '{unknown}'; roles are {string.Join(", ", Roles.All)}.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await InsertRolesAsync(connection, accountId, roles, cancellationToken) > 0)
        {
            await audit.AppendAsync(connection, actor, "account.roles.grant", "account", accountId.ToString(), new { roles }, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    /// <summary>
    /// Takes roles away (audited). Bearer tokens lose them on their next request; console sessions end, because the
    /// account's security stamp changes.
    /// </summary>
    public async Task<Refusal?> RemoveRolesAsync(Actor actor, Guid accountId, IReadOnlyCollection<string> roles, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("delete from ingest.account_roles where account_id = $1 and role = any($2)", connection))
        {
            command.Parameters.Add(new() { Value = accountId });
            command.Parameters.Add(new() { Value = roles.ToArray() });
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return new Refusal(CommonProblems.NotFound, "The account has none of those roles (or there is no such account).");
            }
        }

        await RenewStampAsync(connection, accountId, cancellationToken);
        await audit.AppendAsync(connection, actor, "account.roles.remove", "account", accountId.ToString(), new { roles }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    /// <summary>Suspends the account (audited): it cannot sign in, and its tokens and console sessions stop working at once.</summary>
    public async Task<Refusal?> SuspendAsync(Actor actor, Guid accountId, string reason, CancellationToken cancellationToken) =>
        await SetSuspensionAsync(actor, accountId, reason, cancellationToken);

    /// <summary>Lifts a suspension (audited); the person signs in again.</summary>
    public async Task<Refusal?> ReinstateAsync(Actor actor, Guid accountId, CancellationToken cancellationToken) =>
        await SetSuspensionAsync(actor, accountId, null, cancellationToken);

    private async Task<Refusal?> SetSuspensionAsync(Actor actor, Guid accountId, string? reason, CancellationToken cancellationToken)
    {
        if (reason is not null && (string.IsNullOrWhiteSpace(reason) || TextRules.Problem(reason, multiLine: false) is not null))
        {
            return Refusal.Invalid("reason", "Say why the account is suspended, in one line of text.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            """
            update ingest.accounts set suspended_at = case when $2::text is null then null else now() end, suspended_reason = $2,
                security_stamp = gen_random_uuid()
            where id = $1 and (suspended_at is null) = ($2::text is not null)
            """, connection))
        {
            command.Parameters.Add(new() { Value = accountId });
            command.Parameters.Add(new() { Value = (object?)reason?.Trim() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return new Refusal(CommonProblems.Conflict, reason is null
                    ? "The account is not suspended (or there is no such account)."
                    : "The account is already suspended (or there is no such account).");
            }
        }

        await audit.AppendAsync(connection, actor, reason is null ? "account.reinstate" : "account.suspend", "account", accountId.ToString(),
            new { reason }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    private static async Task RenewStampAsync(NpgsqlConnection connection, Guid accountId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("update ingest.accounts set security_stamp = gen_random_uuid() where id = $1", connection);
        command.Parameters.Add(new() { Value = accountId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Sets a new password; refused (and nothing changed) when it is too short or long, or there is no such account.</summary>
    public async Task<Refusal?> SetPasswordAsync(Guid accountId, string password, CancellationToken cancellationToken)
    {
        if (password.Length is < MinPasswordLength or > MaxPasswordLength)
        {
            return Refusal.Invalid("password", PasswordRule);
        }

        if (await FindByIdAsync(accountId, cancellationToken) is not { } account)
        {
            return new Refusal(CommonProblems.NotFound, "No such account.");
        }

        // A new password ends the sessions started with the old one.
        await StoreHashAsync(account, password, renewStamp: true, cancellationToken);
        return null;
    }

    private async Task StoreHashAsync(Account account, string password, bool renewStamp, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update ingest.accounts set password_hash = $2, security_stamp = case when $3 then gen_random_uuid() else security_stamp end where id = $1");
        command.Parameters.Add(new() { Value = account.Id });
        command.Parameters.Add(new() { Value = passwordHasher.HashPassword(account, password) });
        command.Parameters.Add(new() { Value = renewStamp });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The account if the password matches; null otherwise, in about the same time either way.</summary>
    public async Task<Account?> VerifyPasswordAsync(string? handle, string? password, CancellationToken cancellationToken)
    {
        var found = string.IsNullOrWhiteSpace(handle) ? null : await FindWithHashAsync(NormalizeHandle(handle), cancellationToken);
        var result = passwordHasher.VerifyHashedPassword(found?.Account ?? Nobody, found?.Hash ?? _decoyHash.Value, password ?? "");
        if (found is null || result == PasswordVerificationResult.Failed)
        {
            return null;
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            // The same password in a stronger hash: nothing about the account changed, so its sessions stay.
            await StoreHashAsync(found.Account, password!, renewStamp: false, cancellationToken);
        }

        return found.Account;
    }

    public async Task<Account?> FindByHandleAsync(string handle, CancellationToken cancellationToken) =>
        (await FindWithHashAsync(NormalizeHandle(handle), cancellationToken))?.Account;

    public async Task<Account?> FindByIdAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{SelectAccount} where a.id = $1 group by a.id");
        command.Parameters.Add(new() { Value = id });
        return (await ReadAsync(command, cancellationToken))?.Account;
    }

    /// <summary>The account a live token (by its hash) belongs to, with its roles, in one query.</summary>
    internal async Task<Account?> FindByLiveTokenAsync(byte[] tokenHash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            {SelectAccount}
            join ingest.access_tokens t on t.account_id = a.id
            where t.token_hash = $1 and t.revoked_at is null and t.expires_at > now() and a.suspended_at is null
            group by a.id
            """);
        command.Parameters.Add(new() { Value = tokenHash });
        return (await ReadAsync(command, cancellationToken))?.Account;
    }

    private const string SelectAccount =
        """
        select a.id, a.handle, a.display_name, a.birth_year, a.created_at, a.password_hash,
               coalesce(array_agg(r.role order by r.role) filter (where r.role is not null), '{}'), a.security_stamp, a.suspended_at is not null
        from ingest.accounts a left join ingest.account_roles r on r.account_id = a.id
        """;

    private sealed record AccountWithHash(Account Account, string Hash);

    private async Task<AccountWithHash?> FindWithHashAsync(string handle, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{SelectAccount} where a.handle = $1 group by a.id");
        command.Parameters.Add(new() { Value = handle });
        return await ReadAsync(command, cancellationToken);
    }

    private static async Task<AccountWithHash?> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var account = new Account(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
            reader.GetFieldValue<string[]>(6), reader.GetFieldValue<DateTimeOffset>(4))
        {
            SecurityStamp = reader.GetGuid(7),
            Suspended = reader.GetBoolean(8),
        };
        return new AccountWithHash(account, reader.GetString(5));
    }

    private static async Task<int> InsertRolesAsync(NpgsqlConnection connection, Guid accountId, IReadOnlyCollection<string> roles,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "insert into ingest.account_roles (account_id, role) select $1, unnest($2::text[]) on conflict do nothing", connection);
        command.Parameters.Add(new() { Value = accountId });
        command.Parameters.Add(new() { Value = roles.ToArray() });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
