using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiSocial.Feed.Tests;

/// <summary>
/// A stand-in for an OpenAI-compatible Images API on a loopback port: <c>POST /v1/images/generations</c> answers by
/// the prompt's first word: <c>refuse</c> (400 content_policy_violation), <c>busy</c> (429, retry-after 17),
/// <c>fail</c> (500), <c>hang</c> (never answers), <c>junk</c> (200 without an image), anything else a PNG with a
/// revised prompt. It keeps every request it was sent.
/// </summary>
public sealed class ImagesApiDouble : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentQueue<(string? Authorization, JsonElement Body)> Requests { get; } = new();

    private ImagesApiDouble(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<ImagesApiDouble> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var double_ = new ImagesApiDouble(app);
        app.MapPost("/v1/images/generations", (Delegate)double_.AnswerAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        double_.Endpoint = new Uri($"{address}/v1");
        return double_;
    }

    private async Task<IResult> AnswerAsync(HttpContext context)
    {
        var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
        Requests.Enqueue((context.Request.Headers.Authorization.ToString(), body));
        var prompt = body.GetProperty("prompt").GetString() ?? "";
        switch (prompt.Split(' ')[0])
        {
            case "refuse":
                return Results.Json(new { error = new { code = "content_policy_violation", message = "Your request was rejected by the safety system.", type = "invalid_request_error" } },
                    statusCode: 400);
            case "busy":
                context.Response.Headers["retry-after"] = "17";
                return Results.Json(new { error = new { code = "rate_limit_exceeded", message = "Slow down.", type = "requests" } }, statusCode: 429);
            case "fail":
                return Results.Json(new { error = new { code = "server_error", message = "Boom.", type = "server_error" } }, statusCode: 500);
            case "hang":
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.Empty;
            case "junk":
                return Results.Json(new { created = 1700000000, data = new[] { new { b64_json = Convert.ToBase64String("not an image"u8.ToArray()) } } });
            default:
                return Results.Json(new
                {
                    created = 1700000000,
                    data = new[] { new { b64_json = Convert.ToBase64String(TestImages.Png(256, 256, seed: prompt.Length)), revised_prompt = $"A detailed picture of {prompt}" } },
                });
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>The Feed configured with an OpenAI key and the double's endpoint, and a two-second timeout.</summary>
public sealed class OpenAiFeed : FeedFixture
{
    public const string Key = "sk-test-not-a-real-key";
    public const int TimeoutSeconds = 2;

    public ImagesApiDouble Provider { get; private set; } = null!;

    protected override async Task StartAsync()
    {
        Provider = await ImagesApiDouble.StartAsync();
        await base.StartAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Generation:OpenAI:Endpoint"] = Provider.Endpoint.ToString();
        settings["Generation:OpenAI:Key"] = Key;
        settings["Generation:OpenAI:Model"] = "gpt-image-1";
        settings["Generation:OpenAI:Models:0"] = "dall-e-3";
        settings["Generation:OpenAI:Size"] = "256x256";
        settings["Generation:OpenAI:TimeoutSeconds"] = TimeoutSeconds.ToString();
    }

    protected override async ValueTask StopAsync()
    {
        await base.StopAsync();
        await Provider.DisposeAsync();
    }
}

public sealed class OpenAiGeneratorTests(OpenAiFeed feed) : IClassFixture<OpenAiFeed>
{
    /// <summary>Signs someone up, notes everything stored, then asks for an image.</summary>
    private async Task<(HttpResponseMessage Response, IReadOnlyDictionary<string, long> Before)> GenerateAsync(object body)
    {
        var (_, _, token) = await feed.SignUpAsync();
        var before = await feed.EverythingStoredAsync();
        return (await feed.Client(token).PostAsJsonAsync("/api/v1/generations", body), before);
    }

    [Fact]
    public async Task A_generated_image_records_the_provider_model_size_and_revised_prompt_and_carries_trained_algorithmic_media()
    {
        var (_, _, token) = await feed.SignUpAsync();

        var response = await feed.Client(token).PostAsJsonAsync("/api/v1/generations", new { prompt = "a glass whale", model = "dall-e-3", seed = 5 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("openai", "dall-e-3", "256x256", 5L), (body.GetProperty("generator").GetString(), body.GetProperty("model").GetString(),
            body.GetProperty("size").GetString(), body.GetProperty("seed").GetInt64()));
        Assert.Equal("A detailed picture of a glass whale", body.GetProperty("revisedPrompt").GetString());
        Assert.False(body.GetProperty("parameters").GetProperty("seedApplied").GetBoolean());

        var sent = feed.Provider.Requests.Single(r => r.Body.GetProperty("prompt").GetString() == "a glass whale");
        Assert.Equal($"Bearer {OpenAiFeed.Key}", sent.Authorization);
        Assert.Equal(("dall-e-3", "256x256", "b64_json"), (sent.Body.GetProperty("model").GetString(), sent.Body.GetProperty("size").GetString(),
            sent.Body.GetProperty("response_format").GetString()));

        var image = await feed.Client(token).GetByteArrayAsync(body.GetProperty("imageUrl").GetString());
        Assert.Equal("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia", GenerationsApiTests.DigitalSourceType(image));
        Assert.Equal("A detailed picture of a glass whale", await feed.ScalarAsync<string>(
            "select revised_prompt from ingest.generations where id = $1 and generator = 'openai' and model = 'dall-e-3'", body.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task A_prompt_the_provider_refuses_is_a_prompt_refused_problem_that_says_the_provider_refused_it()
    {
        var (response, before) = await GenerateAsync(new { prompt = "refuse this one" });

        var problem = await response.AssertProblemAsync(422, "prompt_refused");
        Assert.Equal("provider-content-policy", problem.GetProperty("rule").GetString());
        Assert.Equal("content_policy_violation", problem.GetProperty("providerCode").GetString());
        Assert.Contains("provider refused", problem.GetProperty("detail").GetString());
        await AssertNothingStoredOrCountedAsync(before);
    }

    [Fact]
    public async Task A_rate_limited_provider_is_a_503_that_passes_its_retry_after_on()
    {
        var (response, before) = await GenerateAsync(new { prompt = "busy right now" });

        await response.AssertProblemAsync(503, "generator-busy");
        Assert.Equal("17", response.Headers.GetValues("Retry-After").Single());
        await AssertNothingStoredOrCountedAsync(before);
    }

    [Fact]
    public async Task A_failing_provider_is_a_502()
    {
        var (response, before) = await GenerateAsync(new { prompt = "fail please" });

        var problem = await response.AssertProblemAsync(502, "generator-failed");
        Assert.Contains("500", problem.GetProperty("detail").GetString());
        await AssertNothingStoredOrCountedAsync(before);
    }

    [Fact]
    public async Task A_provider_that_sends_no_image_is_a_502()
    {
        var (response, before) = await GenerateAsync(new { prompt = "junk answer" });

        await response.AssertProblemAsync(502, "generator-failed");
        await AssertNothingStoredOrCountedAsync(before);
    }

    [Fact]
    public async Task A_provider_that_never_answers_times_out_as_a_504()
    {
        var (_, _, token) = await feed.SignUpAsync();
        var before = await feed.EverythingStoredAsync();
        var started = System.Diagnostics.Stopwatch.StartNew();
        var response = await feed.Client(token).PostAsJsonAsync("/api/v1/generations", new { prompt = "hang forever" });

        await response.AssertProblemAsync(504, "generator-timeout");
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(OpenAiFeed.TimeoutSeconds - 0.5), TimeSpan.FromSeconds(60));
        await AssertNothingStoredOrCountedAsync(before);
    }

    [Fact]
    public async Task Only_configured_models_may_be_asked_for()
    {
        var (response, _) = await GenerateAsync(new { prompt = "a cat", model = "offline-renderer" });

        var problem = await response.AssertProblemAsync(400, "validation-failed");
        Assert.Contains("gpt-image-1", problem.GetProperty("errors").GetProperty("model")[0].GetString());
    }

    /// <summary>No row, no file and no quota reservation is left by a failed generation.</summary>
    private async Task AssertNothingStoredOrCountedAsync(IReadOnlyDictionary<string, long> before)
    {
        Assert.Equal(before, await feed.EverythingStoredAsync());
        Assert.Equal(0L, await feed.ScalarAsync<long>("select count(*) from ingest.generation_reservations"));
    }
}
