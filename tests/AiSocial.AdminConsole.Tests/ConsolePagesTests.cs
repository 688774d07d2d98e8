using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AiSocial.Ingest.Accounts;
using AiSocial.Moderation.Review;
using AiSocial.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AiSocial.AdminConsole.Tests;

/// <summary>What a browser gets that an API client does not: the console's own error pages, and its pages' security policy.</summary>
public sealed partial class ConsolePagesTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    /// <summary>What Chromium sends when it navigates to a page.</summary>
    public const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

    public static HttpRequestMessage Get(string path, string accept, string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return request;
    }

    public static async Task<string> AssertPageAsync(HttpResponseMessage response, HttpStatusCode status, string heading)
    {
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {html}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($">{heading}</h1>", html);
        Assert.Matches("<a[^>]*href=\"/\"[^>]*data-testid=\"back\"|<a[^>]*data-testid=\"back\"[^>]*href=\"/\"", html);
        return html;
    }

    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        return problem;
    }

    [Fact]
    public async Task A_browser_gets_the_consoles_not_found_page_and_api_clients_a_problem()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        var token = (await console.Get<AccessTokens>().IssueAsync(moderator.Id, default)).Token;
        var client = console.Browser();

        var page = await AssertPageAsync(await client.SendAsync(Get("/no-such-page", BrowserAccept)), HttpStatusCode.NotFound, "Page not found");
        Assert.DoesNotContain("urn:aisocial:problem", page);

        await AssertProblemAsync(await client.SendAsync(Get("/no-such-page", "application/json")), HttpStatusCode.NotFound, "not-found");
        await AssertProblemAsync(await client.SendAsync(Get("/api/v1/no-such-thing", BrowserAccept)), HttpStatusCode.NotFound, "not-found");
        await AssertProblemAsync(await client.SendAsync(Get("/no-such-page", BrowserAccept, token)), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task A_form_posted_without_its_token_shows_a_browser_the_error_page()
    {
        var browser = console.Browser();
        var form = SignInForm.Parse(await (await browser.GetAsync("/signin")).Content.ReadAsStringAsync());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { [form.HandleField] = "someone", [form.PasswordField] = "x", ["_handler"] = form.Handler }),
        };
        request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);

        var response = await browser.SendAsync(request);

        await AssertPageAsync(response, HttpStatusCode.BadRequest, "The request could not be used");
    }

    [GeneratedRegex("script-src 'self' 'nonce-([^']+)'")]
    private static partial Regex ScriptNonce();

    [Fact]
    public async Task Pages_allow_only_the_consoles_own_scripts_with_a_fresh_nonce_for_the_import_map()
    {
        var nonces = new List<string>();
        foreach (var path in new[] { "/signin", "/signin", "/no-such-page" })
        {
            var response = await console.Browser().SendAsync(Get(path, BrowserAccept));
            var policy = string.Join("", response.Headers.GetValues("Content-Security-Policy"));
            var nonce = ScriptNonce().Match(policy).Groups[1].Value;
            Assert.NotEmpty(nonce);
            Assert.Contains($"<script type=\"importmap\" nonce=\"{nonce}\">", await response.Content.ReadAsStringAsync());
            foreach (var directive in new[] { "default-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'" })
            {
                Assert.Contains(directive, policy);
            }

            Assert.DoesNotContain("unsafe-eval", policy);
            nonces.Add(nonce);
        }

        Assert.Equal(nonces.Count, nonces.Distinct().Count());
    }
}

/// <summary>The console with a review queue whose database cannot be reached, so the overview page fails while it renders.</summary>
public sealed class UnreachableQueueConsole : ConsoleFixture
{
    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton(provider => ActivatorUtilities.CreateInstance<ReviewQueue>(provider,
            NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody;Timeout=2;Pooling=false")));
}

public sealed class ConsoleErrorPageTests(UnreachableQueueConsole console) : IClassFixture<UnreachableQueueConsole>
{
    [Fact]
    public async Task A_page_that_fails_shows_a_browser_the_error_page_without_the_exception_and_api_clients_a_problem()
    {
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        var browser = console.Browser();
        await ConsoleFixture.SignInAsync(browser, moderator.Handle, TestPasswords.Default);
        var token = (await console.Get<AccessTokens>().IssueAsync(moderator.Id, default)).Token;

        var page = await ConsolePagesTests.AssertPageAsync(await browser.SendAsync(ConsolePagesTests.Get("/", ConsolePagesTests.BrowserAccept)),
            HttpStatusCode.InternalServerError, "Something went wrong");
        var api = await console.Browser().SendAsync(ConsolePagesTests.Get("/", ConsolePagesTests.BrowserAccept, token));

        Assert.Matches("data-testid=\"request-id\">[0-9a-f]{32}<", page);
        foreach (var leak in new[] { "Exception", "Npgsql", "   at ", "StackTrace" })
        {
            Assert.DoesNotContain(leak, page);
        }

        await ConsolePagesTests.AssertProblemAsync(api, HttpStatusCode.InternalServerError, "internal-error");
    }
}
