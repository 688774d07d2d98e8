using System.Net;
using AiSocial.Ingest.Accounts;
using AiSocial.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.AdminConsole.Tests;

/// <summary>A console reached through a TLS-terminating proxy on the same machine (as nginx would forward to it).</summary>
public sealed class BehindProxyConsole : ConsoleFixture
{
    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<IStartupFilter, FromLoopbackProxy>();

    /// <summary>The in-memory test server has no client address; a proxy on this machine would connect from loopback.</summary>
    private sealed class FromLoopbackProxy : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, proceed) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Loopback;
                return proceed(context);
            });
            next(app);
        };
    }
}

public sealed class ProxyTests(BehindProxyConsole console) : IClassFixture<BehindProxyConsole>
{
    [Fact]
    public async Task Behind_a_TLS_proxy_the_sign_in_cookie_is_Secure_and_the_client_address_is_the_forwarded_one()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        var browser = console.Browser();
        browser.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        browser.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");

        var signIn = await ConsoleFixture.SignInAsync(browser, moderator.Handle, TestPasswords.Default);

        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("aisocial.console=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("https", signIn.Headers.Location?.Scheme);
        Assert.Equal("203.0.113.7", await console.ScalarAsync<string>("select address from ingest.staff_sessions where account_id = $1", moderator.Id));
    }

    [Fact]
    public async Task Without_the_proxy_saying_so_the_cookie_is_not_marked_Secure()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);

        var signIn = await ConsoleFixture.SignInAsync(console.Browser(), moderator.Handle, TestPasswords.Default);

        Assert.DoesNotContain("secure", signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("aisocial.console=", StringComparison.Ordinal)),
            StringComparison.OrdinalIgnoreCase);
    }
}
