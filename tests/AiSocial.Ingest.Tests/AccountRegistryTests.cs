using AiSocial.Ingest.Accounts;
using AiSocial.Testing;

namespace AiSocial.Ingest.Tests;

public sealed class AccountRegistryTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private AccountRegistry Accounts => platform.Get<AccountRegistry>();

    private static string NewHandle() => $"h_{Guid.NewGuid():N}"[..16];

    [Fact]
    public async Task Stores_an_Identity_password_hash_and_verifies_only_the_right_password()
    {
        var handle = NewHandle();
        var account = (await Accounts.RegisterAsync(new NewAccount(handle, "Ada", "a long enough password", 1990), [Roles.Creator], default)).Value;

        var stored = await platform.ScalarAsync<string>("select password_hash from ingest.accounts where id = $1", account.Id);
        Assert.DoesNotContain("a long enough password", stored);
        Assert.Equal(0x01, Convert.FromBase64String(stored)[0]); // Identity v3 format marker
        Assert.Equal(account.Id, (await Accounts.VerifyPasswordAsync(handle.ToUpperInvariant(), "a long enough password", default))?.Id);
        Assert.Null(await Accounts.VerifyPasswordAsync(handle, "a long enough passworD", default));
        Assert.Null(await Accounts.VerifyPasswordAsync("nobody_here", "a long enough password", default));
        Assert.Equal([Roles.Creator], account.Roles);
    }

    [Fact]
    public async Task Handles_are_unique_whatever_their_case()
    {
        var handle = NewHandle();
        await Accounts.RegisterAsync(new NewAccount(handle, "First", TestPasswords.Default, 1990), [Roles.User], default);

        var error = await Accounts.RegisterAsync(new NewAccount(handle.ToUpperInvariant(), "Second", TestPasswords.Default, 1990), [Roles.User], default).AssertRefusedAsync();

        Assert.Equal(IngestProblems.HandleTaken, error.Problem);
        Assert.Equal(1L, await platform.ScalarAsync<long>("select count(*) from ingest.accounts where handle = $1", handle));
    }

    [Fact]
    public async Task Every_invalid_field_is_reported_and_nothing_is_stored()
    {
        var before = await platform.ScalarAsync<long>("select count(*) from ingest.accounts");

        var error = await Accounts.RegisterAsync(new NewAccount("no spaces!", " ", "short", 1850), [Roles.User, "overlord"], default).AssertRefusedAsync();

        Assert.Equal(["birthYear", "displayName", "handle", "password", "roles"], error.Errors!.Keys.Order());
        Assert.Equal(before, await platform.ScalarAsync<long>("select count(*) from ingest.accounts"));
    }

    [Fact]
    public async Task Children_under_thirteen_cannot_sign_up()
    {
        var error = await Accounts.RegisterAsync(new NewAccount(NewHandle(), "Kid", TestPasswords.Default, DateTime.UtcNow.Year - 10), [Roles.User], default).AssertRefusedAsync();

        Assert.Contains("at least 13", error.Errors!["birthYear"][0]);
    }
}

public sealed class AccessTokensTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private AccessTokens Tokens => platform.Get<AccessTokens>();

    [Fact]
    public async Task A_token_is_stored_only_as_its_hash_and_authenticates_its_account()
    {
        var account = await platform.CreateAccountAsync();
        var issued = await Tokens.IssueAsync(account.Id, default);

        var hash = await platform.ScalarAsync<byte[]>("select token_hash from ingest.access_tokens where account_id = $1", account.Id);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(issued.Token)), hash);
        Assert.Equal(0L, await platform.ScalarAsync<long>(
            "select count(*) from ingest.access_tokens t where row_to_json(t)::text like '%' || $1 || '%'", issued.Token[4..]));
        Assert.Equal(account.Id, (await Tokens.AuthenticateAsync(issued.Token, default))?.Id);
    }

    [Fact]
    public async Task Revoked_expired_and_made_up_tokens_authenticate_nobody()
    {
        var account = await platform.CreateAccountAsync();
        var revoked = await Tokens.IssueAsync(account.Id, default);
        var expired = await Tokens.IssueAsync(account.Id, default);
        var kept = await Tokens.IssueAsync(account.Id, default);

        Assert.True(await Tokens.RevokeAsync(revoked.Token, default));
        Assert.False(await Tokens.RevokeAsync(revoked.Token, default));
        await platform.ExecuteAsync("update ingest.access_tokens set expires_at = now() - interval '1 second' where token_hash = sha256($1::bytea)",
            System.Text.Encoding.UTF8.GetBytes(expired.Token));

        Assert.Null(await Tokens.AuthenticateAsync(revoked.Token, default));
        Assert.Null(await Tokens.AuthenticateAsync(expired.Token, default));
        Assert.Null(await Tokens.AuthenticateAsync("ais_madeup", default));
        Assert.Null(await Tokens.AuthenticateAsync("not even the right shape", default));
        Assert.NotNull(await Tokens.AuthenticateAsync(kept.Token, default));

        Assert.Equal(2, await Tokens.RevokeAllAsync(account.Id, default)); // the live one and the expired one
        Assert.Null(await Tokens.AuthenticateAsync(kept.Token, default));
    }
}
