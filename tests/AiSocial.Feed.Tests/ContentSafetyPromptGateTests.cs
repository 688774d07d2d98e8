using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiSocial.Feed.Tests;

/// <summary>The Feed with Content Safety configured and pointed at a loopback service that is busy: every call gets 503 ServerBusy.</summary>
public sealed class BusyContentSafetyFeed : FeedFixture
{
    private WebApplication? _service;
    private int _calls;

    /// <summary>Requests the busy service received.</summary>
    public int Calls => Volatile.Read(ref _calls);

    protected override async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _service = builder.Build();
        _service.Run(async context =>
        {
            Interlocked.Increment(ref _calls);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers["x-ms-error-code"] = "ServerBusy";
            await context.Response.WriteAsJsonAsync(new { error = new { code = "ServerBusy", message = "The server is busy. Try again later." } });
        });
        await _service.StartAsync();
        await base.StartAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["ContentSafety:Endpoint"] = _service!.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        settings["ContentSafety:Key"] = "test-key";
        settings["ContentSafety:TimeoutSeconds"] = "3";
        settings["ContentSafety:AttemptTimeoutSeconds"] = "1";
        settings["ContentSafety:RetryDelayMilliseconds"] = "10";
    }

    protected override async ValueTask StopAsync()
    {
        await base.StopAsync();
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }
    }
}

public sealed class ContentSafetyPromptGateTests(BusyContentSafetyFeed feed) : IClassFixture<BusyContentSafetyFeed>
{
    [Fact]
    public async Task A_prompt_is_refused_with_a_retryable_503_when_configured_content_safety_cannot_answer_and_nothing_is_generated()
    {
        var (_, _, token) = await feed.SignUpAsync();
        var before = await feed.EverythingStoredAsync();

        var response = await feed.Client(token).PostAsJsonAsync("/api/v1/generations", new { prompt = "a lighthouse in fog" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter?.Delta);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("prompt-check-unavailable", "prompt-shields", "ServerBusy"), (problem.GetProperty("code").GetString(),
            problem.GetProperty("check").GetString(), problem.GetProperty("serviceCode").GetString()));
        Assert.True(feed.Calls >= 2, "the busy service was asked again before the prompt was refused");
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }
}
