using System.Text.RegularExpressions;
using AiSocial.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.AdminConsole.Tests;

/// <summary>The console host in memory on this class's database; the scheduler is off unless a subclass turns it on.</summary>
public class ConsoleFixture : DatabaseFixture
{
    private readonly List<WebApplicationFactory<Program>> _nodes = [];
    private readonly List<Uri> _addresses = [];

    public override IServiceProvider Services => _nodes[0].Services;

    /// <summary>The services of node <paramref name="node"/> (each node has its own container, scheduler and runner).</summary>
    public IServiceProvider ServicesOf(int node) => _nodes[node].Services;

    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    protected virtual int Nodes => 1;

    /// <summary>Whether the nodes run on real Kestrel servers on free loopback ports (for a real browser), not in memory.</summary>
    protected virtual bool OnKestrel => false;

    /// <summary>Where the first node's Kestrel server listens, as http://127.0.0.1:port (only when <see cref="OnKestrel"/>).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Changes to a node's services after the host's own, such as an extra telemetry exporter.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    protected override Task StartAsync()
    {
        var settings = Settings;
        Configure(settings);
        for (var i = 0; i < Nodes; i++)
        {
            var node = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
            {
                host.UseEnvironment("Testing");
                if (OnKestrel)
                {
                    host.UseUrls("http://127.0.0.1:0");
                    host.UseStaticWebAssets(); // the styles and scripts a browser loads (only Development serves them by default)
                }

                foreach (var (key, value) in settings)
                {
                    host.UseSetting(key, value);
                }

                host.ConfigureTestServices(ConfigureServices);
            });
            if (OnKestrel)
            {
                node.UseKestrel();
                node.StartServer();
                _addresses.Add(new Uri(node.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()));
                Address = _addresses[0];
            }
            else
            {
                _ = node.Server;
            }

            _nodes.Add(node);
        }

        return Task.CompletedTask;
    }

    protected override async ValueTask StopAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    /// <summary>A client that keeps no cookies and follows no redirects: each request carries only what the test gives it.</summary>
    public HttpClient Client(int node = 0) =>
        _nodes[node].CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false, BaseAddress = BaseAddress(node) });

    /// <summary>
    /// A browser-like client: keeps cookies, follows no redirects (tests look at them), and asks for HTML first as a
    /// browser does, so it is sent to sign in where an API client is told 401.
    /// </summary>
    public HttpClient Browser(int node = 0)
    {
        var browser = _nodes[node].CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = BaseAddress(node) });
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        return browser;
    }

    private Uri BaseAddress(int node) => _addresses.Count > node ? _addresses[node] : new Uri("http://localhost");

    /// <summary>Fills in and posts the sign-in form the way a browser would, antiforgery token included.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string handle, string password, string returnUrl = "/")
    {
        var page = await (await browser.GetAsync($"/signin?ReturnUrl={Uri.EscapeDataString(returnUrl)}")).Content.ReadAsStringAsync();
        var form = SignInForm.Parse(page);
        return await browser.PostAsync($"/signin?ReturnUrl={Uri.EscapeDataString(returnUrl)}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [form.HandleField] = handle,
            [form.PasswordField] = password,
            ["_handler"] = form.Handler,
            ["__RequestVerificationToken"] = form.AntiforgeryToken,
        }));
    }
}

/// <summary>What a browser would send back from the sign-in page: field names, form handler and antiforgery token.</summary>
public sealed partial record SignInForm(string HandleField, string PasswordField, string Handler, string AntiforgeryToken)
{
    [GeneratedRegex("<input\\b[^>]*>")]
    private static partial Regex InputTags();

    [GeneratedRegex("""([\w-]+)="([^"]*)" """)]
    private static partial Regex Attributes();

    public static SignInForm Parse(string html)
    {
        var inputs = InputTags().Matches(html)
            .Select(tag => Attributes().Matches(tag.Value.Replace("/>", " />", StringComparison.Ordinal))
                .ToDictionary(a => a.Groups[1].Value, a => System.Net.WebUtility.HtmlDecode(a.Groups[2].Value)))
            .ToList();
        string Find(string attribute, string value, string wanted) => inputs.Single(i => i.GetValueOrDefault(attribute) == value)[wanted];
        return new SignInForm(Find("id", "handle", "name"), Find("id", "password", "name"), Find("name", "_handler", "value"),
            Find("name", "__RequestVerificationToken", "value"));
    }

    /// <summary>The antiforgery token of any form on a page.</summary>
    public static string AntiforgeryTokenIn(string html) =>
        Regex.Match(html, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"|value=\"([^\"]+)\"[^>]*name=\"__RequestVerificationToken\"") is { Success: true } match
            ? match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value
            : throw new InvalidOperationException("No antiforgery token on the page.");
}
