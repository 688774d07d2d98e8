using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using AiSocial.AdminConsole.Account;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Testing;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.AdminConsole.Tests;

/// <summary>A console sign-in is a session on the server: signing out, a role taken away or a suspension ends it.</summary>
public sealed class StaffSessionTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    private static readonly Actor Admin = Actor.System("test-admin");

    /// <summary>Signs in through the form and returns the session cookie exactly as the browser would keep it.</summary>
    private async Task<(Ingest.Accounts.Account Account, string Cookie, HttpClient Browser)> SignedInAsync(params string[] roles)
    {
        var account = await console.CreateAccountAsync(roles);
        var browser = console.Browser();
        var signIn = await ConsoleFixture.SignInAsync(browser, account.Handle, TestPasswords.Default);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("aisocial.console=", StringComparison.Ordinal)).Split(';')[0];
        return (account, cookie, browser);
    }

    /// <summary>A request carrying only the saved cookie, from a client that keeps nothing else.</summary>
    private async Task<HttpResponseMessage> WithCookieAsync(string cookie, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        request.Headers.Add("Accept", "text/html"); // a browser's request: sent to sign in when refused
        return await console.Client().SendAsync(request);
    }

    [Fact]
    public async Task A_cookie_saved_before_signing_out_is_refused_afterwards()
    {
        var (moderator, saved, browser) = await SignedInAsync(Roles.Moderator);
        Assert.Equal(HttpStatusCode.OK, (await WithCookieAsync(saved, "/review")).StatusCode);
        var token = SignInForm.AntiforgeryTokenIn(await (await browser.GetAsync("/")).Content.ReadAsStringAsync());

        await browser.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        var replayed = await WithCookieAsync(saved, "/review");
        Assert.Equal(HttpStatusCode.Redirect, replayed.StatusCode);
        Assert.StartsWith("/signin", replayed.Headers.Location?.PathAndQuery);
        Assert.Equal("signed out", await console.ScalarAsync<string>("select ended_reason from ingest.staff_sessions where account_id = $1", moderator.Id));
    }

    [Fact]
    public async Task Taking_away_the_role_ends_the_consoles_sessions_at_once()
    {
        var (moderator, saved, _) = await SignedInAsync(Roles.Moderator);
        Assert.Equal(HttpStatusCode.OK, (await WithCookieAsync(saved, "/review")).StatusCode);

        Assert.Null(await console.Get<AccountRegistry>().RemoveRolesAsync(Admin, moderator.Id, [Roles.Moderator], default));

        var after = await WithCookieAsync(saved, "/review");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/signin", after.Headers.Location?.PathAndQuery);
        Assert.Contains(await console.Get<AuditLog>().ForSubjectAsync("account", moderator.Id.ToString(), default), e => e.Action == "account.roles.remove");
    }

    [Fact]
    public async Task Suspending_an_account_ends_its_sessions_and_its_bearer_tokens_at_once()
    {
        var (moderator, saved, _) = await SignedInAsync(Roles.Moderator);
        var token = (await console.Get<AccessTokens>().IssueAsync(moderator.Id, default)).Token;
        var post = await console.SubmitPostAsync((await console.CreateAccountAsync()).Id);
        var api = console.Client();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/media/{post.Media.Sha256}")).StatusCode);

        Assert.Null(await console.Get<AccountRegistry>().SuspendAsync(Admin, moderator.Id, "compromised", default));

        Assert.Equal(HttpStatusCode.Redirect, (await WithCookieAsync(saved, "/review")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync($"/media/{post.Media.Sha256}")).StatusCode);
        var again = await ConsoleFixture.SignInAsync(console.Browser(), moderator.Handle, TestPasswords.Default);
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        Assert.Contains("suspended", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_open_page_rechecks_its_session_within_a_minute_and_loses_it_once_ended()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        var session = await console.Get<StaffSessions>().StartAsync(moderator, "127.0.0.1", default);
        var user = moderator.ToPrincipal(CookieAuthenticationDefaults.AuthenticationScheme, session);
        await using var scope = console.Services.CreateAsyncScope();
        var revalidation = Assert.IsType<StaffSessionRevalidation>(scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>());

        var before = await revalidation.CheckAsync(new AuthenticationState(user));
        await console.Get<StaffSessions>().EndAsync(session.Id, "test", default);
        var after = await revalidation.CheckAsync(new AuthenticationState(user));

        Assert.True(before.Live);
        Assert.False(after.Live);
        Assert.True(after.Within <= TimeSpan.FromMinutes(1));
        Assert.False((await revalidation.CheckAsync(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity())))).Live);
    }
}

/// <summary>A console whose sign-in locks an account after two failures.</summary>
public sealed class QuickLockConsole : ConsoleFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["SignIn:MaxFailuresPerAccount"] = "2";
        settings["SignIn:SlowAfterFailures"] = "1";
        settings["SignIn:MaxDelayMilliseconds"] = "50";
        settings["SignIn:LockSeconds"] = "600";
    }
}

public sealed class ConsoleSignInThrottleTests(QuickLockConsole console) : IClassFixture<QuickLockConsole>
{
    [Fact]
    public async Task The_sign_in_page_locks_a_guessed_account_with_429_and_Retry_After_and_refuses_the_right_password_too()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);

        await ConsoleFixture.SignInAsync(console.Browser(), moderator.Handle, "wrong password one");
        await ConsoleFixture.SignInAsync(console.Browser(), moderator.Handle, "wrong password two");
        var right = await ConsoleFixture.SignInAsync(console.Browser(), moderator.Handle, TestPasswords.Default);

        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.True(right.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Contains("Too many failed sign-ins", await right.Content.ReadAsStringAsync());
        Assert.False(right.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("aisocial.console=", StringComparison.Ordinal)));
        Assert.Contains(await console.Get<AuditLog>().ForSubjectAsync("sign_in", $"account:{moderator.Handle}", default), e => e.Action == "signin.lock");
    }
}
