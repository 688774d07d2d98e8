using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace AiSocial.Moderation.ContentSafety;

/// <summary>What text analysis found: each category's worst severity over the parts, and every blocklist hit.</summary>
public sealed record TextAnalysis(IReadOnlyList<CategorySeverity> Categories, IReadOnlyList<BlocklistMatch> BlocklistMatches, int Parts);

/// <summary>
/// Azure AI Content Safety over REST (<c>../shared/specs/content-safety.md</c>). Retries, timeouts, the circuit breaker
/// and the rate limit are the HTTP client's resilience pipeline (see <see cref="ContentSafetyExtensions"/>); whatever
/// still fails comes out as one <see cref="ContentSafetyException"/>, so a caller has one thing to treat as
/// "unavailable".
/// </summary>
public sealed class ContentSafetyClient(IHttpClientFactory httpClients, IOptions<ContentSafetyOptions> options)
{
    public const string HttpClientName = "content-safety";

    /// <summary>The longest text one <c>text:analyze</c> takes; longer text is split.</summary>
    public const int MaxTextLength = 10_000;

    /// <summary>The most blocklist items one add or remove call takes.</summary>
    public const int MaxItemsPerCall = 100;

    /// <summary>Text analysis grades 0-7; images only 0, 2, 4 and 6.</summary>
    public const int MaxSeverity = 7;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly MediaTypeHeaderValue MergePatch = new("application/merge-patch+json");

    private readonly ContentSafetyOptions _options = options.Value;

    public string ApiVersion => _options.ApiVersion;

    private string Endpoint => _options.Endpoint!.TrimEnd('/');

    /// <summary>Text analysis in eight severity levels against the given blocklists; text over 10,000 characters is split and each part checked.</summary>
    public async Task<TextAnalysis> AnalyzeTextAsync(string text, IReadOnlyList<string>? blocklistNames, CancellationToken cancellationToken)
    {
        var parts = TextSplitter.Split(text, MaxTextLength);
        var worst = new Dictionary<string, CategorySeverity>(StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        var matches = new List<BlocklistMatch>();
        foreach (var part in parts)
        {
            var analysis = await SendAsync<AnalyzeResponse>("text:analyze", HttpMethod.Post, Operation("text:analyze"),
                JsonContent.Create(new AnalyzeTextRequest(part, blocklistNames is { Count: > 0 } ? blocklistNames : null, false, "EightSeverityLevels"),
                    options: Json), cancellationToken);
            Merge(analysis.CategoriesAnalysis, worst, order);
            matches.AddRange(analysis.BlocklistsMatch ?? []);
        }

        return new TextAnalysis([.. order.Select(name => worst[name])], matches, parts.Count);
    }

    /// <summary>Image analysis (four levels: 0, 2, 4, 6). The image must already be within the service's limits (<see cref="ContentSafetyImage"/>).</summary>
    public async Task<IReadOnlyList<CategorySeverity>> AnalyzeImageAsync(byte[] image, CancellationToken cancellationToken)
    {
        var analysis = await SendAsync<AnalyzeResponse>("image:analyze", HttpMethod.Post, Operation("image:analyze"),
            JsonContent.Create(new AnalyzeImageRequest(new ImageData(Convert.ToBase64String(image)), "FourSeverityLevels"), options: Json),
            cancellationToken);
        var worst = new Dictionary<string, CategorySeverity>(StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        Merge(analysis.CategoriesAnalysis, worst, order);
        return [.. order.Select(name => worst[name])];
    }

    /// <summary>Prompt Shields: whether the prompt (or any document) is a jailbreak or prompt-injection attack.</summary>
    public async Task<(bool UserPromptAttack, IReadOnlyList<bool> DocumentAttacks)> ShieldPromptAsync(string userPrompt, IReadOnlyList<string> documents,
        CancellationToken cancellationToken)
    {
        var analysis = await SendAsync<ShieldPromptResponse>("text:shieldPrompt", HttpMethod.Post, Operation("text:shieldPrompt"),
            JsonContent.Create(new ShieldPromptRequest(userPrompt, documents), options: Json), cancellationToken);
        if (analysis.UserPromptAnalysis is null)
        {
            throw Malformed("text:shieldPrompt", "the answer has no userPromptAnalysis");
        }

        return (analysis.UserPromptAnalysis.AttackDetected, [.. (analysis.DocumentsAnalysis ?? []).Select(d => d.AttackDetected)]);
    }

    /// <summary>Whether the text is known protected material (song lyrics, articles, recipes…); long text is split and any part counts.</summary>
    public async Task<bool> DetectProtectedMaterialAsync(string text, CancellationToken cancellationToken)
    {
        foreach (var part in TextSplitter.Split(text, MaxTextLength))
        {
            var analysis = await SendAsync<ProtectedMaterialResponse>("text:detectProtectedMaterial", HttpMethod.Post,
                Operation("text:detectProtectedMaterial"), JsonContent.Create(new ProtectedMaterialRequest(part), options: Json), cancellationToken);
            if (analysis.ProtectedMaterialAnalysis is null)
            {
                throw Malformed("text:detectProtectedMaterial", "the answer has no protectedMaterialAnalysis");
            }

            if (analysis.ProtectedMaterialAnalysis.Detected)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every text blocklist, following <c>nextLink</c>.</summary>
    public async Task<IReadOnlyList<TextBlocklist>> ListBlocklistsAsync(CancellationToken cancellationToken) =>
        await ListAllAsync<TextBlocklist>("list blocklists", Operation("text/blocklists"), cancellationToken);

    /// <summary>One blocklist; null when there is none of that name.</summary>
    public async Task<TextBlocklist?> GetBlocklistAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync<TextBlocklist>("get blocklist", HttpMethod.Get, Operation($"text/blocklists/{Escape(name)}"), null, cancellationToken);
        }
        catch (ContentSafetyException exception) when (exception.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Creates the blocklist or updates its description (merge patch); true when it was created.</summary>
    public async Task<bool> CreateOrUpdateBlocklistAsync(string name, string description, CancellationToken cancellationToken)
    {
        var content = JsonContent.Create(new BlocklistDescription(description), MergePatch, Json);
        var status = await SendForStatusAsync("create or update blocklist", HttpMethod.Patch, Operation($"text/blocklists/{Escape(name)}"), content,
            cancellationToken);
        return status == HttpStatusCode.Created;
    }

    public async Task DeleteBlocklistAsync(string name, CancellationToken cancellationToken) =>
        await SendForStatusAsync("delete blocklist", HttpMethod.Delete, Operation($"text/blocklists/{Escape(name)}"), null, cancellationToken);

    /// <summary>Adds or updates items, at most <see cref="MaxItemsPerCall"/> per call; returns the items as stored, with their ids.</summary>
    public async Task<IReadOnlyList<TextBlocklistItem>> AddOrUpdateBlocklistItemsAsync(string name, IReadOnlyList<TextBlocklistItem> items,
        CancellationToken cancellationToken)
    {
        var stored = new List<TextBlocklistItem>(items.Count);
        foreach (var chunk in items.Chunk(MaxItemsPerCall))
        {
            var answer = await SendAsync<AddOrUpdateItemsResponse>("add blocklist items", HttpMethod.Post,
                Operation($"text/blocklists/{Escape(name)}:addOrUpdateBlocklistItems"),
                JsonContent.Create(new AddOrUpdateItemsRequest(chunk), options: Json), cancellationToken);
            stored.AddRange(answer.BlocklistItems ?? []);
        }

        return stored;
    }

    /// <summary>Removes items by id, at most <see cref="MaxItemsPerCall"/> per call.</summary>
    public async Task RemoveBlocklistItemsAsync(string name, IReadOnlyList<string> itemIds, CancellationToken cancellationToken)
    {
        foreach (var chunk in itemIds.Chunk(MaxItemsPerCall))
        {
            await SendForStatusAsync("remove blocklist items", HttpMethod.Post, Operation($"text/blocklists/{Escape(name)}:removeBlocklistItems"),
                JsonContent.Create(new RemoveItemsRequest(chunk), options: Json), cancellationToken);
        }
    }

    /// <summary>Every item of a blocklist, page after page as <c>nextLink</c> leads.</summary>
    public async Task<IReadOnlyList<TextBlocklistItem>> ListBlocklistItemsAsync(string name, CancellationToken cancellationToken) =>
        await ListAllAsync<TextBlocklistItem>("list blocklist items", Operation($"text/blocklists/{Escape(name)}/blocklistItems"), cancellationToken);

    private static void Merge(IReadOnlyList<CategorySeverity>? analysed, Dictionary<string, CategorySeverity> worst, List<string> order)
    {
        foreach (var category in analysed ?? [])
        {
            if (string.IsNullOrEmpty(category.Category))
            {
                continue;
            }

            if (!worst.TryGetValue(category.Category, out var known))
            {
                order.Add(category.Category);
                worst[category.Category] = category;
            }
            else if ((category.Severity ?? -1) > (known.Severity ?? -1))
            {
                worst[category.Category] = category with { Category = known.Category };
            }
        }
    }

    private async Task<IReadOnlyList<T>> ListAllAsync<T>(string operation, Uri first, CancellationToken cancellationToken)
    {
        var all = new List<T>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Uri? next = first;
        while (next is not null)
        {
            // A service that hands back a page already read would otherwise keep this loop going for ever.
            if (!seen.Add(next.AbsoluteUri))
            {
                throw Malformed(operation, $"nextLink repeats {next}");
            }

            var page = await SendAsync<Page<T>>(operation, HttpMethod.Get, next, null, cancellationToken);
            all.AddRange(page.Value ?? []);
            next = page.NextLink is { Length: > 0 } link ? NextPage(operation, link) : null;
        }

        return all;
    }

    /// <summary>
    /// The next page's address: relative links are taken against the endpoint, the api-version is kept, and a link to
    /// another host is refused, because following it would send the key there.
    /// </summary>
    private Uri NextPage(string operation, string nextLink)
    {
        var endpoint = new Uri(Endpoint + "/");
        var next = Uri.TryCreate(nextLink, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https"
            ? absolute
            : new Uri(endpoint, nextLink.StartsWith('/') ? nextLink : "contentsafety/" + nextLink);
        if (!string.Equals(next.GetLeftPart(UriPartial.Authority), endpoint.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            throw Malformed(operation, $"nextLink leads to another host ({next.GetLeftPart(UriPartial.Authority)})");
        }

        if (next.Query.Contains("api-version=", StringComparison.OrdinalIgnoreCase))
        {
            return next;
        }

        var separator = string.IsNullOrEmpty(next.Query) ? "?" : "&";
        return new Uri($"{next.AbsoluteUri}{separator}api-version={Uri.EscapeDataString(_options.ApiVersion)}");
    }

    private Uri Operation(string path) => new($"{Endpoint}/contentsafety/{path}?api-version={Uri.EscapeDataString(_options.ApiVersion)}");

    private static string Escape(string name) => Uri.EscapeDataString(name);

    private async Task<T> SendAsync<T>(string operation, HttpMethod method, Uri uri, HttpContent? content, CancellationToken cancellationToken)
    {
        using var response = await SendCheckedAsync(operation, method, uri, content, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken) ?? throw Malformed(operation, "the answer is empty");
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            throw Malformed(operation, $"the answer is not the documented JSON ({exception.Message})");
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            throw new ContentSafetyException(operation, response.StatusCode, null, null, $"the answer broke off: {exception.Message}", null, exception);
        }
    }

    private async Task<HttpStatusCode> SendForStatusAsync(string operation, HttpMethod method, Uri uri, HttpContent? content, CancellationToken cancellationToken)
    {
        using var response = await SendCheckedAsync(operation, method, uri, content, cancellationToken);
        return response.StatusCode;
    }

    private async Task<HttpResponseMessage> SendCheckedAsync(string operation, HttpMethod method, Uri uri, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrWhiteSpace(_options.Key))
        {
            request.Headers.Add("Ocp-Apim-Subscription-Key", _options.Key);
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.BearerToken);
        }

        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (BrokenCircuitException exception)
        {
            throw new ContentSafetyException(operation, null, null, null, "the circuit is open after repeated failures; calls are not sent for now",
                TimeSpan.FromSeconds(_options.CircuitBreakerBreakSeconds), exception);
        }
        catch (RateLimiterRejectedException exception)
        {
            throw new ContentSafetyException(operation, null, null, null, "this process's own rate limit is full", exception.RetryAfter, exception);
        }
        catch (Exception exception) when (exception is TimeoutRejectedException or OperationCanceledException)
        {
            throw new ContentSafetyException(operation, null, null, null, $"timed out ({exception.Message})", null, exception);
        }
        catch (HttpRequestException exception)
        {
            throw new ContentSafetyException(operation, null, null, null, $"the connection failed ({exception.Message})", null, exception);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ErrorAsync(operation, response, cancellationToken);
        }
    }

    private static async Task<ContentSafetyException> ErrorAsync(string operation, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var header = response.Headers.TryGetValues("x-ms-error-code", out var values) ? values.FirstOrDefault() : null;
        string? code = null, message = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (JsonSerializer.Deserialize<ErrorBody>(body, Json)?.Error is { } error)
            {
                (code, message) = (error.Code, error.Message);
            }
            else if (body.Length > 0)
            {
                message = body.Length > 300 ? body[..300] : body;
            }
        }
        catch (Exception exception) when (exception is JsonException or HttpRequestException or IOException)
        {
            message = "(the error body could not be read)";
        }

        return new ContentSafetyException(operation, response.StatusCode, header, code, message, RetryAfter(response));
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => response.Headers.TryGetValues("retry-after-ms", out var ms) && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? TimeSpan.FromMilliseconds(value)
            : null,
    };

    private static ContentSafetyException Malformed(string operation, string why) => new(operation, null, null, null, why);
}

/// <summary>The process-wide limit on requests to Content Safety (the service allows 1000 per 10 seconds); more wait in line.</summary>
public sealed class ContentSafetyRateLimit(IOptions<ContentSafetyOptions> options) : IDisposable
{
    public RateLimiter Limiter { get; } = new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
    {
        PermitLimit = options.Value.MaxRequestsPer10Seconds,
        Window = TimeSpan.FromSeconds(10),
        SegmentsPerWindow = 10,
        QueueLimit = 100_000,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        AutoReplenishment = true,
    });

    public void Dispose() => Limiter.Dispose();
}
