using System.Net;
using System.Net.Http.Json;
using AiSocial.Ingest.Audit;
using AiSocial.Testing;

namespace AiSocial.Feed.Tests;

/// <summary>A Feed whose sign-in locks after three failures for two seconds, so a test can watch a lock begin and lapse.</summary>
public sealed class QuickLockFeed : FeedFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["SignIn:MaxFailuresPerAccount"] = "3";
        settings["SignIn:MaxFailuresPerAddress"] = "1000";
        settings["SignIn:SlowAfterFailures"] = "2";
        settings["SignIn:MaxDelayMilliseconds"] = "100";
        settings["SignIn:LockSeconds"] = "2";
    }
}

/// <summary>A Feed whose sign-in locks an address after four failures, whichever handles they were for.</summary>
public sealed class AddressLockFeed : FeedFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["SignIn:MaxFailuresPerAccount"] = "1000";
        settings["SignIn:MaxFailuresPerAddress"] = "4";
        settings["SignIn:LockSeconds"] = "600";
    }
}

public sealed class SignInThrottleTests(QuickLockFeed feed) : IClassFixture<QuickLockFeed>
{
    private Task<HttpResponseMessage> SignInAsync(string handle, string password) =>
        feed.Client().PostAsJsonAsync("/api/v1/sessions", new { handle, password });

    [Fact]
    public async Task Guessing_a_password_locks_the_account_even_for_the_right_password_until_the_lock_lapses_and_is_audited()
    {
        var person = await feed.SignUpAsync();

        await (await SignInAsync(person.Handle, "guess number one")).AssertProblemAsync(401, "invalid-credentials");
        await (await SignInAsync(person.Handle, "guess number two")).AssertProblemAsync(401, "invalid-credentials");
        var third = await SignInAsync(person.Handle, "guess number three");
        var right = await SignInAsync(person.Handle, TestPasswords.Default);

        await third.AssertProblemAsync(429, "sign-in-locked");
        await right.AssertProblemAsync(429, "sign-in-locked");
        Assert.InRange(int.Parse(right.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 2);
        var audit = await feed.Get<AuditLog>().ForSubjectAsync("sign_in", $"account:{person.Handle}", default);
        Assert.Equal(3, audit.Count(e => e.Action == "signin.failure"));
        Assert.Single(audit, e => e.Action == "signin.lock");

        // The lock lapses: the right password works again (polled, since the lock is measured by the database's clock).
        var deadline = DateTime.UtcNow.AddMinutes(1);
        HttpResponseMessage again;
        while ((again = await SignInAsync(person.Handle, TestPasswords.Default)).StatusCode == HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromSeconds(int.Parse(again.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task A_right_password_before_the_limit_clears_the_accounts_failures()
    {
        var person = await feed.SignUpAsync();

        await SignInAsync(person.Handle, "a wrong one");
        await SignInAsync(person.Handle, "another wrong one");
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(person.Handle, TestPasswords.Default)).StatusCode);

        await (await SignInAsync(person.Handle, "wrong after success")).AssertProblemAsync(401, "invalid-credentials");
        await (await SignInAsync(person.Handle, "wrong twice after")).AssertProblemAsync(401, "invalid-credentials");
    }
}

public sealed class SignInAddressThrottleTests(AddressLockFeed feed) : IClassFixture<AddressLockFeed>
{
    [Fact]
    public async Task Guessing_across_many_handles_from_one_address_locks_the_address()
    {
        var person = await feed.SignUpAsync();
        for (var i = 0; i < 4; i++)
        {
            await feed.Client().PostAsJsonAsync("/api/v1/sessions", new { handle = $"nobody_{i}", password = "whatever it is" });
        }

        var response = await feed.Client().PostAsJsonAsync("/api/v1/sessions", new { handle = person.Handle, password = TestPasswords.Default });

        await response.AssertProblemAsync(429, "sign-in-locked");
        Assert.True(response.Headers.RetryAfter is not null);
        Assert.Single(await feed.Get<AuditLog>().ForSubjectAsync("sign_in", "address:127.0.0.1", default), e => e.Action == "signin.lock");
    }
}
