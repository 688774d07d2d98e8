using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SkiaSharp;

namespace AiSocial.Moderation.Tests.ContentSafety;

/// <summary>One request the double received, as sent.</summary>
public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers,
    string? ContentType, string Body, DateTimeOffset At)
{
    public string? ApiVersion => Query.GetValueOrDefault("api-version");

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string? Header(string name) => Headers.GetValueOrDefault(name.ToLowerInvariant());
}

/// <summary>An image the double was sent for analysis, as it decoded it.</summary>
public sealed record ReceivedImage(int Width, int Height, int Bytes);

/// <summary>The errors the service documents, as the double answers them.</summary>
public enum ServiceFault
{
    InvalidRequestBody400,
    Unauthorized401,
    NotFound404,
    TooManyRequests429,
    InternalError500,
    ServerBusy503,
}

/// <summary>
/// Azure AI Content Safety on a loopback port, answering as <c>../shared/specs/content-safety.md</c> describes: text and
/// image analysis, Prompt Shields, protected material and text blocklists, with the documented validation errors. It
/// checks the key (401 with the gateway's body otherwise), keeps every request, and can be told to answer any
/// documented error (once, a few times or always, 429 with or without <c>Retry-After</c>), to be slow, to hang, and
/// to reorder categories or add ones the client has never heard of.
/// </summary>
public sealed partial class ContentSafetyDouble : IAsyncDisposable
{
    public const string Key = "double-key";
    public const string BearerToken = "double-token";
    public const int MaxTextLength = 10_000;
    public const int MaxImageBytes = 4_194_304;

    private static readonly string[] CanonicalCategories = ["Hate", "SelfHarm", "Sexual", "Violence"];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(ServiceFault Fault, int? RetryAfterSeconds)> _planned = new();
    private readonly Lock _blocklistLock = new();

    private ContentSafetyDouble(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public ConcurrentQueue<ReceivedImage> Images { get; } = new();

    /// <summary>Every request gets this error, until set back to null.</summary>
    public (ServiceFault Fault, int? RetryAfterSeconds)? AlwaysFail { get; set; }

    /// <summary>Requests are held open and never answered.</summary>
    public bool Hang { get; set; }

    /// <summary>How long each answer takes.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Categories come in reverse order.</summary>
    public bool ReorderCategories { get; set; }

    /// <summary>An extra category the client does not know (<c>Harassment</c>, severity 5 on text, 4 on images) comes with every analysis.</summary>
    public bool AddUnknownCategory { get; set; }

    /// <summary>Words that raise a text's category: "stab" → (Violence, 5) makes any text with "stab" Violence 5.</summary>
    public ConcurrentDictionary<string, (string Category, int Severity)> TextTriggers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>What every image is graded, by category (0, 2, 4 or 6; missing ones are 0).</summary>
    public ConcurrentDictionary<string, int> ImageSeverities { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Phrases Prompt Shields reports as an attack.</summary>
    public ConcurrentBag<string> AttackPhrases { get; } = [];

    /// <summary>Phrases protected-material detection reports as protected.</summary>
    public ConcurrentBag<string> ProtectedPhrases { get; } = [];

    /// <summary>The service's text blocklists: name → description and items by id (in insertion order).</summary>
    public Dictionary<string, (string? Description, List<(string Id, string Text, string? Description)> Items)> Blocklists { get; } = new(StringComparer.Ordinal);

    /// <summary>The largest page a list answers, whatever the client asks (so paging is exercised).</summary>
    public int PageSize { get; set; } = 3;

    public static async Task<ContentSafetyDouble> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var service = new ContentSafetyDouble(app);
        app.Run(service.AnswerAsync);
        await app.StartAsync();
        service.Endpoint = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return service;
    }

    /// <summary>The next <paramref name="times"/> requests get <paramref name="fault"/>; later ones are answered normally.</summary>
    public void FailNext(ServiceFault fault, int times = 1, int? retryAfterSeconds = null)
    {
        for (var i = 0; i < times; i++)
        {
            _planned.Enqueue((fault, retryAfterSeconds));
        }
    }

    /// <summary>Back to a healthy, empty service that remembers no requests.</summary>
    public void Reset()
    {
        _planned.Clear();
        Requests.Clear();
        Images.Clear();
        AlwaysFail = null;
        Hang = false;
        Delay = TimeSpan.Zero;
        ReorderCategories = false;
        AddUnknownCategory = false;
        TextTriggers.Clear();
        ImageSeverities.Clear();
        AttackPhrases.Clear();
        ProtectedPhrases.Clear();
        PageSize = 3;
        lock (_blocklistLock)
        {
            Blocklists.Clear();
        }
    }

    public IReadOnlyList<RecordedRequest> RequestsTo(string operation) =>
        [.. Requests.Where(r => r.Path.EndsWith(operation, StringComparison.Ordinal) || r.Path.Contains(operation + "?", StringComparison.Ordinal))];

    private async Task AnswerAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var recorded = new RecordedRequest(request.Method, Uri.UnescapeDataString(request.Path.Value ?? ""),
            request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal),
            request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal),
            request.ContentType, body, DateTimeOffset.UtcNow);
        Requests.Enqueue(recorded);

        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            if (context.RequestAborted.IsCancellationRequested)
            {
                return;
            }
        }

        if (AlwaysFail is { } always)
        {
            await FaultAsync(context, always.Fault, always.RetryAfterSeconds);
            return;
        }

        if (_planned.TryDequeue(out var planned))
        {
            await FaultAsync(context, planned.Fault, planned.RetryAfterSeconds);
            return;
        }

        if (recorded.Header("ocp-apim-subscription-key") != Key && recorded.Header("authorization") != $"Bearer {BearerToken}")
        {
            await FaultAsync(context, ServiceFault.Unauthorized401, null);
            return;
        }

        await RouteAsync(context, recorded);
    }

    private async Task RouteAsync(HttpContext context, RecordedRequest request)
    {
        var path = request.Path;
        const string Root = "/contentsafety/";
        if (!path.StartsWith(Root, StringComparison.Ordinal))
        {
            await ErrorAsync(context, 404, "ResourceNotFound", "The requested resource was not found.");
            return;
        }

        var operation = path[Root.Length..];
        var blocklist = BlocklistPath().Match(operation);
        switch (request.Method, operation)
        {
            case ("POST", "text:analyze"):
                await AnalyzeTextAsync(context, request);
                return;
            case ("POST", "image:analyze"):
                await AnalyzeImageAsync(context, request);
                return;
            case ("POST", "text:shieldPrompt"):
                await ShieldPromptAsync(context, request);
                return;
            case ("POST", "text:detectProtectedMaterial"):
                await ProtectedMaterialAsync(context, request);
                return;
            case ("GET", "text/blocklists"):
                await PageAsync(context, request, Snapshot().Select(b => (JsonNode)new JsonObject { ["blocklistName"] = b.Name, ["description"] = b.Description }).ToList());
                return;
        }

        if (!blocklist.Success)
        {
            await ErrorAsync(context, 404, "ResourceNotFound", "The requested resource was not found.");
            return;
        }

        var name = blocklist.Groups["name"].Value;
        var action = blocklist.Groups["action"].Value;
        switch (request.Method, action)
        {
            case ("GET", ""):
                await GetBlocklistAsync(context, name);
                return;
            case ("PATCH", ""):
                await PatchBlocklistAsync(context, request, name);
                return;
            case ("DELETE", ""):
                lock (_blocklistLock)
                {
                    Blocklists.Remove(name);
                }

                context.Response.StatusCode = 204;
                return;
            case ("POST", ":addOrUpdateBlocklistItems"):
                await AddItemsAsync(context, request, name);
                return;
            case ("POST", ":removeBlocklistItems"):
                await RemoveItemsAsync(context, request, name);
                return;
            case ("GET", "/blocklistItems"):
                List<JsonNode>? items;
                lock (_blocklistLock)
                {
                    items = Blocklists.TryGetValue(name, out var list)
                        ? [.. list.Items.Select(i => (JsonNode)new JsonObject { ["blocklistItemId"] = i.Id, ["text"] = i.Text, ["description"] = i.Description, ["isRegex"] = false })]
                        : null;
                }

                if (items is null)
                {
                    await NotFoundAsync(context, name);
                    return;
                }

                await PageAsync(context, request, items);
                return;
            default:
                await ErrorAsync(context, 404, "ResourceNotFound", "The requested resource was not found.");
                return;
        }
    }

    [GeneratedRegex("^text/blocklists/(?<name>[^/:]+)(?<action>:addOrUpdateBlocklistItems|:removeBlocklistItems|/blocklistItems)?$")]
    private static partial Regex BlocklistPath();

    [GeneratedRegex("^[0-9A-Za-z._~-]{1,64}$")]
    private static partial Regex BlocklistName();

    private async Task AnalyzeTextAsync(HttpContext context, RecordedRequest request)
    {
        if (Parse(request) is not { } json || !json.TryGetProperty("text", out var textElement) || textElement.ValueKind != JsonValueKind.String)
        {
            await ErrorAsync(context, 400, "InvalidRequestBody", "The request body is invalid: text is required.");
            return;
        }

        var text = textElement.GetString()!;
        if (text.Length is 0 or > MaxTextLength)
        {
            await ErrorAsync(context, 400, "InvalidRequestBody", $"The text length must be between 1 and {MaxTextLength} characters; it is {text.Length}.");
            return;
        }

        var outputType = json.TryGetProperty("outputType", out var output) ? output.GetString() : "FourSeverityLevels";
        if (outputType is not ("FourSeverityLevels" or "EightSeverityLevels"))
        {
            await ErrorAsync(context, 400, "InvalidRequestBody", $"outputType '{outputType}' is not supported.");
            return;
        }

        var names = json.TryGetProperty("blocklistNames", out var lists) ? lists.EnumerateArray().Select(n => n.GetString()!).ToList() : [];
        var matches = new JsonArray();
        lock (_blocklistLock)
        {
            foreach (var name in names)
            {
                if (!Blocklists.TryGetValue(name, out var list))
                {
                    matches = null;
                    break;
                }

                foreach (var item in list.Items.Where(i => Regex.IsMatch(text, $@"(?<!\w){Regex.Escape(i.Text)}(?!\w)", RegexOptions.IgnoreCase)))
                {
                    matches.Add(new JsonObject { ["blocklistName"] = name, ["blocklistItemId"] = item.Id, ["blocklistItemText"] = item.Text });
                }
            }
        }

        if (matches is null)
        {
            await NotFoundAsync(context, names.First(n => !Blocklists.ContainsKey(n)));
            return;
        }

        var severities = CanonicalCategories.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        foreach (var (word, (category, severity)) in TextTriggers)
        {
            if (text.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                severities[category] = Math.Max(severities.GetValueOrDefault(category), severity);
            }
        }

        var eight = outputType == "EightSeverityLevels";
        var answer = new JsonObject
        {
            ["blocklistsMatch"] = matches,
            ["categoriesAnalysis"] = Categories(severities, severity => eight ? severity : Math.Min(6, severity / 2 * 2), unknownSeverity: 5),
        };
        await context.Response.WriteAsJsonAsync(answer, Json);
    }

    private async Task AnalyzeImageAsync(HttpContext context, RecordedRequest request)
    {
        var content = Parse(request) is { } json && json.TryGetProperty("image", out var image) && image.TryGetProperty("content", out var c) ? c.GetString() : null;
        if (string.IsNullOrEmpty(content))
        {
            await ErrorAsync(context, 400, "InvalidRequestBody", "You should provide [content] or [blobUrl] of the image, please check your request body.");
            return;
        }

        var bytes = Convert.FromBase64String(content);
        if (bytes.Length > MaxImageBytes)
        {
            await ErrorAsync(context, 400, "InvalidRequestBody",
                $"The given image is {bytes.Length} bytes and exceeds the maximum limit of {MaxImageBytes} bytes (4MB).");
            return;
        }

        using var codec = SKCodec.Create(new SKMemoryStream(bytes));
        if (codec is null)
        {
            await ErrorAsync(context, 400, "InvalidRequestBody", "The image format is not supported.");
            return;
        }

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        Images.Enqueue(new ReceivedImage(width, height, bytes.Length));
        if (height > 7200 || width > 7200)
        {
            var side = height > 7200 ? "height" : "width";
            await ErrorAsync(context, 400, "InvalidRequestBody",
                $"The {side} of given image is {Math.Max(width, height)} pixels and is greater than the maximum allowed of 7200 pixels.");
            return;
        }

        if (height < 50 || width < 50)
        {
            await ErrorAsync(context, 400, "InvalidRequestBody", $"The image is {width}x{height} pixels; the minimum is 50x50 pixels.");
            return;
        }

        var severities = CanonicalCategories.ToDictionary(c => c, c => ImageSeverities.GetValueOrDefault(c), StringComparer.Ordinal);
        await context.Response.WriteAsJsonAsync(new JsonObject { ["categoriesAnalysis"] = Categories(severities, s => Math.Min(6, s / 2 * 2), unknownSeverity: 4) }, Json);
    }

    private JsonArray Categories(Dictionary<string, int> severities, Func<int, int> level, int unknownSeverity)
    {
        var categories = severities.Select(pair => (JsonNode)new JsonObject { ["category"] = pair.Key, ["severity"] = level(pair.Value) }).ToList();
        if (AddUnknownCategory)
        {
            categories.Add(new JsonObject { ["category"] = "Harassment", ["severity"] = unknownSeverity, ["explanation"] = "a field the client does not know" });
        }

        if (ReorderCategories)
        {
            categories.Reverse();
        }

        return [.. categories];
    }

    private async Task ShieldPromptAsync(HttpContext context, RecordedRequest request)
    {
        if (Parse(request) is not { } json || !json.TryGetProperty("userPrompt", out var prompt) || prompt.ValueKind != JsonValueKind.String)
        {
            await ErrorAsync(context, 400, "InvalidRequestBody", "The request body is invalid: userPrompt is required.");
            return;
        }

        bool Attack(string text) => AttackPhrases.Any(p => text.Contains(p, StringComparison.OrdinalIgnoreCase));
        var documents = json.TryGetProperty("documents", out var docs) ? docs.EnumerateArray().Select(d => d.GetString() ?? "").ToList() : [];
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["userPromptAnalysis"] = new JsonObject { ["attackDetected"] = Attack(prompt.GetString()!) },
            ["documentsAnalysis"] = new JsonArray([.. documents.Select(d => (JsonNode)new JsonObject { ["attackDetected"] = Attack(d) })]),
        }, Json);
    }

    private async Task ProtectedMaterialAsync(HttpContext context, RecordedRequest request)
    {
        if (Parse(request) is not { } json || !json.TryGetProperty("text", out var text) || text.GetString() is not { Length: > 0 and <= MaxTextLength } value)
        {
            await ErrorAsync(context, 400, "InvalidRequestBody", "The request body is invalid: text is required, at most 10000 characters.");
            return;
        }

        var detected = ProtectedPhrases.Any(p => value.Contains(p, StringComparison.OrdinalIgnoreCase));
        await context.Response.WriteAsJsonAsync(new JsonObject { ["protectedMaterialAnalysis"] = new JsonObject { ["detected"] = detected } }, Json);
    }

    private async Task GetBlocklistAsync(HttpContext context, string name)
    {
        string? description;
        bool found;
        lock (_blocklistLock)
        {
            found = Blocklists.TryGetValue(name, out var list);
            description = list.Description;
        }

        if (!found)
        {
            await NotFoundAsync(context, name);
            return;
        }

        await context.Response.WriteAsJsonAsync(new JsonObject { ["blocklistName"] = name, ["description"] = description }, Json);
    }

    private async Task PatchBlocklistAsync(HttpContext context, RecordedRequest request, string name)
    {
        if (!BlocklistName().IsMatch(name))
        {
            await ErrorAsync(context, 400, "InvalidResourceName", $"The blocklist name '{name}' is invalid: use 1-64 letters, digits, '.', '_', '~' or '-'.");
            return;
        }

        if (request.ContentType?.StartsWith("application/merge-patch+json", StringComparison.OrdinalIgnoreCase) != true)
        {
            await ErrorAsync(context, 415, "UnsupportedMediaType", "PATCH takes application/merge-patch+json.");
            return;
        }

        var description = Parse(request) is { } json && json.TryGetProperty("description", out var d) ? d.GetString() : null;
        bool created;
        lock (_blocklistLock)
        {
            created = !Blocklists.TryGetValue(name, out var list);
            Blocklists[name] = (description ?? list.Description, created ? [] : list.Items);
        }

        context.Response.StatusCode = created ? 201 : 200;
        await context.Response.WriteAsJsonAsync(new JsonObject { ["blocklistName"] = name, ["description"] = description }, Json);
    }

    private async Task AddItemsAsync(HttpContext context, RecordedRequest request, string name)
    {
        var items = Parse(request) is { } json && json.TryGetProperty("blocklistItems", out var array) ? array.EnumerateArray().ToList() : null;
        if (items is null or { Count: 0 or > 100 } || items.Any(i => i.GetProperty("text").GetString() is not { Length: > 0 and <= 128 }))
        {
            await ErrorAsync(context, 400, "InvalidRequestBody", "blocklistItems must hold 1 to 100 items, each with a text of 1 to 128 characters.");
            return;
        }

        var answered = new JsonArray();
        lock (_blocklistLock)
        {
            if (!Blocklists.TryGetValue(name, out var list))
            {
                answered = null;
            }
            else
            {
                foreach (var item in items)
                {
                    var text = item.GetProperty("text").GetString()!;
                    var description = item.TryGetProperty("description", out var d) ? d.GetString() : null;
                    var at = list.Items.FindIndex(i => string.Equals(i.Text, text, StringComparison.OrdinalIgnoreCase));
                    var id = at >= 0 ? list.Items[at].Id : Guid.NewGuid().ToString();
                    if (at >= 0)
                    {
                        list.Items[at] = (id, text, description);
                    }
                    else
                    {
                        list.Items.Add((id, text, description));
                    }

                    answered.Add(new JsonObject { ["blocklistItemId"] = id, ["text"] = text, ["description"] = description, ["isRegex"] = false });
                }
            }
        }

        if (answered is null)
        {
            await NotFoundAsync(context, name);
            return;
        }

        await context.Response.WriteAsJsonAsync(new JsonObject { ["blocklistItems"] = answered }, Json);
    }

    private async Task RemoveItemsAsync(HttpContext context, RecordedRequest request, string name)
    {
        var ids = Parse(request) is { } json && json.TryGetProperty("blocklistItemIds", out var array) ? array.EnumerateArray().Select(i => i.GetString()!).ToList() : null;
        if (ids is null or { Count: 0 or > 100 })
        {
            await ErrorAsync(context, 400, "InvalidRequestBody", "blocklistItemIds must hold 1 to 100 ids.");
            return;
        }

        bool found;
        lock (_blocklistLock)
        {
            found = Blocklists.TryGetValue(name, out var list);
            list.Items?.RemoveAll(i => ids.Contains(i.Id));
        }

        if (!found)
        {
            await NotFoundAsync(context, name);
            return;
        }

        context.Response.StatusCode = 204;
    }

    /// <summary>A page of <paramref name="all"/> from <c>skip</c>, at most <see cref="PageSize"/> long, with an absolute <c>nextLink</c> when more follow.</summary>
    private async Task PageAsync(HttpContext context, RecordedRequest request, List<JsonNode> all)
    {
        var skip = int.TryParse(request.Query.GetValueOrDefault("skip"), CultureInfo.InvariantCulture, out var s) ? s : 0;
        var size = int.TryParse(request.Query.GetValueOrDefault("maxpagesize"), CultureInfo.InvariantCulture, out var m) ? Math.Min(m, PageSize) : PageSize;
        var page = new JsonObject { ["value"] = new JsonArray([.. all.Skip(skip).Take(size)]) };
        if (skip + size < all.Count)
        {
            page["nextLink"] = $"{Endpoint}{request.Path}?api-version={request.ApiVersion}&skip={skip + size}&maxpagesize={size}";
        }

        await context.Response.WriteAsJsonAsync(page, Json);
    }

    private List<(string Name, string? Description)> Snapshot()
    {
        lock (_blocklistLock)
        {
            return [.. Blocklists.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => (b.Key, b.Value.Description))];
        }
    }

    private static JsonElement? Parse(RecordedRequest request)
    {
        try
        {
            return request.Body.Length == 0 ? null : request.Json;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Task NotFoundAsync(HttpContext context, string name) =>
        ErrorAsync(context, 404, "ResourceNotFound", $"The blocklist '{name}' was not found.");

    private static Task FaultAsync(HttpContext context, ServiceFault fault, int? retryAfterSeconds)
    {
        switch (fault)
        {
            case ServiceFault.InvalidRequestBody400:
                return ErrorAsync(context, 400, "InvalidRequestBody", "The request body is invalid.");
            case ServiceFault.Unauthorized401:
                // The gateway answers before the service: no x-ms-error-code, and "401" as the code.
                context.Response.StatusCode = 401;
                return context.Response.WriteAsJsonAsync(new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["code"] = "401",
                        ["message"] = "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an " +
                                      "active subscription and use a correct regional API endpoint for your resource.",
                    },
                }, Json);
            case ServiceFault.NotFound404:
                return ErrorAsync(context, 404, "ResourceNotFound", "The requested resource was not found.");
            case ServiceFault.TooManyRequests429:
                if (retryAfterSeconds is { } wait)
                {
                    context.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
                }

                return ErrorAsync(context, 429, "TooManyRequests", "Rate limit is exceeded. Try again later.");
            case ServiceFault.InternalError500:
                return ErrorAsync(context, 500, "InternalError", "The server encountered an internal error.");
            default:
                if (retryAfterSeconds is { } busyWait)
                {
                    context.Response.Headers.RetryAfter = busyWait.ToString(CultureInfo.InvariantCulture);
                }

                return ErrorAsync(context, 503, "ServerBusy", "The server is busy. Try again later.");
        }
    }

    private static Task ErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-ms-error-code"] = code;
        return context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = code,
                ["message"] = message,
                ["target"] = null,
                ["details"] = new JsonArray(),
                ["innererror"] = new JsonObject { ["code"] = code, ["message"] = message },
            },
        }, Json);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
