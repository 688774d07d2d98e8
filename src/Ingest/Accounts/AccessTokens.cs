using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace AiSocial.Ingest.Accounts;

public sealed record IssuedToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>Random bearer tokens. Only their SHA-256 is stored, so a database dump holds no usable token.</summary>
public sealed class AccessTokens(NpgsqlDataSource dataSource, AccountRegistry accounts, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);
    private const string Prefix = "ais_";

    public async Task<IssuedToken> IssueAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var token = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var expiresAt = clock.GetUtcNow() + Lifetime;
        await using var command = dataSource.CreateCommand(
            "insert into ingest.access_tokens (id, account_id, token_hash, expires_at) values ($1, $2, $3, $4)");
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { Value = accountId });
        command.Parameters.Add(new() { Value = Hash(token) });
        command.Parameters.Add(new() { Value = expiresAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return new IssuedToken(token, expiresAt);
    }

    /// <summary>The account a live token belongs to, or null for an unknown, expired or revoked token.</summary>
    public async Task<Account?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length > 200)
        {
            return null;
        }

        return await accounts.FindByLiveTokenAsync(Hash(token), cancellationToken);
    }

    /// <summary>Revokes one token; true if it was live.</summary>
    public async Task<bool> RevokeAsync(string token, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update ingest.access_tokens set revoked_at = now() where token_hash = $1 and revoked_at is null");
        command.Parameters.Add(new() { Value = Hash(token) });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<int> RevokeAllAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update ingest.access_tokens set revoked_at = now() where account_id = $1 and revoked_at is null");
        command.Parameters.Add(new() { Value = accountId });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
