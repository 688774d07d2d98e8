using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AiSocial.Feed.Tests;

/// <summary>
/// The Feed host on a real Kestrel server on a free loopback port (so limits and rejections are the server's own), on
/// this class's own database and media root.
/// </summary>
public class FeedFixture : DatabaseFixture
{
    private WebApplicationFactory<Program>? _factory;
    private IHost? _worker;

    public override IServiceProvider Services => _factory!.Services;

    /// <summary>
    /// What runs beside Feed on the same database and media root: the scanner, review queue and exporter, as the
    /// console and the command line host them.
    /// </summary>
    public IServiceProvider Worker => _worker!.Services;

    /// <summary>Changes to the settings of this class's Feed (and worker) before they start.</summary>
    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    protected override Task StartAsync()
    {
        var settings = Settings;
        Configure(settings);
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment("Testing");
            host.UseUrls("http://127.0.0.1:0");
            foreach (var (key, value) in settings)
            {
                host.UseSetting(key, value);
            }
        });
        _factory.UseKestrel();
        _factory.StartServer(); // now, so the first test does not pay for it
        Address = new Uri(_factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        _worker = PlatformFixture.BuildHost(settings);
        return Task.CompletedTask;
    }

    protected override async ValueTask StopAsync()
    {
        _worker?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    /// <summary>Where Kestrel listens, as http://127.0.0.1:port.</summary>
    public Uri Address { get; private set; } = null!;

    public HttpClient Client(string? token = null)
    {
        var client = _factory!.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = Address });
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Signs a new person up through the API and returns their handle, id and token.</summary>
    public async Task<(string Handle, Guid Id, string Token)> SignUpAsync()
    {
        var handle = $"p_{Guid.NewGuid():N}"[..18];
        var response = await Client().PostAsJsonAsync("/api/v1/accounts",
            new { handle, displayName = "Poster", password = TestPasswords.Default, birthYear = 1994 });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (handle, body.GetProperty("id").GetGuid(), body.GetProperty("token").GetString()!);
    }

    public static MultipartFormDataContent PostForm(byte[]? image, string? prompt, string? caption = null, string fileName = "image.png")
    {
        var form = new MultipartFormDataContent();
        if (image is not null)
        {
            var file = new ByteArrayContent(image);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(file, "image", fileName);
        }

        if (prompt is not null)
        {
            form.Add(new StringContent(prompt), "prompt");
        }

        if (caption is not null)
        {
            form.Add(new StringContent(caption), "caption");
        }

        return form;
    }

    public async Task<HttpResponseMessage> PostImageAsync(string token, string? key, byte[]? image, string? prompt, string? caption = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/posts") { Content = PostForm(image, prompt, caption) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return await Client().SendAsync(request);
    }
}

public static class ProblemAssertions
{
    /// <summary>Asserts an RFC 9457 problem response with the given status and stable code, and returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, int status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.Equal(status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("title").GetString()));
        return body;
    }
}
