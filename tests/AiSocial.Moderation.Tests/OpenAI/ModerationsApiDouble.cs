using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiSocial.Moderation.Tests.OpenAI;

/// <summary>
/// A stand-in for OpenAI's <c>POST /v1/moderations</c> on a loopback port, answering as the API documents. The first
/// word of the text input decides: <c>unauthorized</c> (401 invalid_api_key), <c>busy</c> (429 with retry-after),
/// <c>fail</c> (500), <c>hang</c> (never answers), <c>noresults</c> (200 with no results), <c>noscores</c> (200, a result
/// without scores); anything else gets the
/// documented body: every category key, <c>sexual</c> flagged from text and image, and a key no SDK knows yet.
/// It keeps every request it was sent.
/// </summary>
public sealed class ModerationsApiDouble : IAsyncDisposable
{
    public const string AnsweredModel = "omni-moderation-2024-09-26";
    public const string UnknownCategory = "illicit/novel-category";

    private readonly WebApplication _app;

    private ModerationsApiDouble(WebApplication app) => _app = app;

    public ConcurrentQueue<(string? Authorization, JsonElement Body)> Requests { get; } = new();

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The documented scores the double answers with (text "hello" style posts), by key.</summary>
    public static IReadOnlyDictionary<string, double> Scores { get; } = new Dictionary<string, double>
    {
        ["hate"] = 0.0012,
        ["hate/threatening"] = 0.0001,
        ["harassment"] = 0.003,
        ["harassment/threatening"] = 0.0002,
        ["illicit"] = 0.004,
        ["illicit/violent"] = 0.0003,
        ["self-harm"] = 0.0005,
        ["self-harm/intent"] = 0.0001,
        ["self-harm/instructions"] = 0.0001,
        ["sexual"] = 0.91,
        ["sexual/minors"] = 0.0008,
        ["violence"] = 0.07,
        ["violence/graphic"] = 0.002,
        [UnknownCategory] = 0.33,
    };

    public static async Task<ModerationsApiDouble> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var api = new ModerationsApiDouble(app);
        app.MapPost("/v1/moderations", (Delegate)api.AnswerAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        api.Endpoint = new Uri($"{address}/v1");
        return api;
    }

    /// <summary>The text part of a request the double received, or "" when it had none.</summary>
    public static string TextOf(JsonElement body) =>
        body.GetProperty("input") is { ValueKind: JsonValueKind.Array } parts
            ? string.Join("\n", parts.EnumerateArray().Where(p => p.GetProperty("type").GetString() == "text").Select(p => p.GetProperty("text").GetString()))
            : body.GetProperty("input").ToString();

    private async Task<IResult> AnswerAsync(HttpContext context)
    {
        var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
        Requests.Enqueue((context.Request.Headers.Authorization.ToString(), body));
        switch (TextOf(body).Split(' ', '\n')[0])
        {
            case "unauthorized":
                return Results.Json(new { error = new { message = "Incorrect API key provided: sk-test***.", type = "invalid_request_error", param = (string?)null, code = "invalid_api_key" } },
                    statusCode: 401);
            case "busy":
                context.Response.Headers["retry-after"] = "20";
                return Results.Json(new { error = new { message = "Rate limit reached for omni-moderation-latest.", type = "requests", param = (string?)null, code = "rate_limit_exceeded" } },
                    statusCode: 429);
            case "fail":
                return Results.Json(new { error = new { message = "The server had an error while processing your request.", type = "server_error", param = (string?)null, code = (string?)null } },
                    statusCode: 500);
            case "hang":
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.Empty;
            case "noresults":
                return Results.Json(new { id = "modr-empty", model = AnsweredModel, results = Array.Empty<object>() });
            case "noscores":
                return Results.Json(new
                {
                    id = "modr-noscores",
                    model = AnsweredModel,
                    results = new[] { new { flagged = false, categories = new Dictionary<string, bool>(), category_scores = new Dictionary<string, double>() } },
                });
            default:
                var imageKinds = new HashSet<string> { "sexual", "violence", "violence/graphic", "self-harm", "self-harm/intent", "self-harm/instructions" };
                return Results.Json(new
                {
                    id = "modr-5558",
                    model = AnsweredModel,
                    results = new[]
                    {
                        new
                        {
                            flagged = true,
                            categories = Scores.ToDictionary(s => s.Key, s => s.Value > 0.5),
                            category_scores = Scores,
                            category_applied_input_types = Scores.Keys.ToDictionary(k => k, k => imageKinds.Contains(k) ? new[] { "text", "image" } : ["text"]),
                        },
                    },
                });
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
