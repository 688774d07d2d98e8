using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace AiSocial.Feed.Tests;

/// <summary>The API reference page and the OpenAPI document behind it, as a newcomer without internet access reads them.</summary>
public sealed partial class ApiReferenceTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    [GeneratedRegex("""https?://[^\s"'`<>()\\]+""")]
    private static partial Regex AbsoluteUrl();

    [GeneratedRegex("""(?:src|href)="([^"]+)"|from '([^']+)'""")]
    private static partial Regex AssetReference();

    // The configuration the page hands to Scalar: initialize(path, dynamicBaseUrl, {configuration}, module).
    [GeneratedRegex("""initialize\(\s*'[^']*',\s*(?:true|false),\s*(\{.*\}),\s*'[^']*'\)""", RegexOptions.Singleline)]
    private static partial Regex ScalarConfiguration();

    [Fact]
    public async Task The_API_reference_page_and_what_it_loads_come_from_the_host_and_call_no_outside_service()
    {
        var client = feed.Client();
        var page = await client.GetStringAsync("/scalar/");

        // Every script, style and icon it names is served here, and neither they nor the page name another host.
        var assets = AssetReference().Matches(page).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).Distinct().ToList();
        Assert.Contains("scalar.js", assets);
        Assert.Empty(ForeignUrls(page));
        foreach (var asset in assets)
        {
            Assert.False(Uri.TryCreate(asset, UriKind.Absolute, out _), $"The page loads {asset} from elsewhere.");
            var response = await client.GetAsync(new Uri(new Uri(feed.Address, "/scalar/"), asset));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: {response.StatusCode}");
            if (asset != "scalar.js") // Scalar's own bundle mentions its services; the configuration below keeps it from calling them
            {
                Assert.Empty(ForeignUrls(await response.Content.ReadAsStringAsync()));
            }
        }

        var configuration = JsonDocument.Parse(ScalarConfiguration().Match(page).Groups[1].Value).RootElement;
        Assert.False(configuration.GetProperty("withDefaultFonts").GetBoolean()); // Inter and JetBrains Mono from Scalar's CDN
        Assert.False(configuration.GetProperty("telemetry").GetBoolean());
        Assert.True(configuration.GetProperty("agent").GetProperty("disabled").GetBoolean()); // AI chat served by Scalar
        Assert.True(configuration.GetProperty("mcp").GetProperty("disabled").GetBoolean());
        Assert.Equal("never", configuration.GetProperty("showDeveloperTools").GetString()); // share and deploy through scalar.com
        Assert.True(configuration.GetProperty("hideClientButton").GetBoolean()); // opens client.scalar.com
        Assert.False(configuration.TryGetProperty("proxyUrl", out _)); // requests go straight to this host, through no proxy
        Assert.False(configuration.TryGetProperty("proxy", out _));
        Assert.DoesNotContain(configuration.EnumerateObject(), p => p.Name is "externalUrls" or "cdn" or "plugins");
    }

    // Absolute URLs to anywhere but this host; XML namespace names (an SVG's xmlns) are names, never fetched.
    private List<string> ForeignUrls(string text) =>
        [.. AbsoluteUrl().Matches(text).Select(m => m.Value)
            .Where(url => !url.StartsWith(feed.Address.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal))
            .Where(url => !url.StartsWith("http://www.w3.org/", StringComparison.Ordinal))];

    [Theory]
    [InlineData("/api/v1/posts", "post", true)]
    [InlineData("/api/v1/me", "get", true)]
    [InlineData("/api/v1/sessions/current", "delete", true)]
    [InlineData("/api/v1/me/consent", "get", true)]
    [InlineData("/api/v1/me/consent", "put", true)]
    [InlineData("/api/v1/me/consent/history", "get", true)]
    [InlineData("/api/v1/events", "post", true)]
    [InlineData("/api/v1/accounts", "post", false)]
    [InlineData("/api/v1/sessions", "post", false)]
    [InlineData("/api/v1/posts/{id}", "get", false)]
    [InlineData("/api/v1/timelines/public", "get", false)]
    [InlineData("/media/{sha256}", "get", false)]
    public async Task The_OpenAPI_document_declares_bearer_tokens_and_requires_them_where_a_signed_in_caller_is(string path, string method, bool signedIn)
    {
        var openApi = await feed.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var scheme = openApi.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        var operation = openApi.GetProperty("paths").GetProperty(path).GetProperty(method);
        if (signedIn)
        {
            var requirement = Assert.Single(operation.GetProperty("security").EnumerateArray());
            var (name, scopes) = Assert.Single(requirement.EnumerateObject().Select(p => (p.Name, p.Value)));
            Assert.Equal("Bearer", name);
            Assert.Equal(0, scopes.GetArrayLength());
        }
        else
        {
            Assert.False(operation.TryGetProperty("security", out _), $"{method} {path} takes anonymous callers.");
        }
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_a_new_post_as_a_multipart_form_with_the_image_as_a_file()
    {
        var openApi = await feed.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var body = openApi.GetProperty("paths").GetProperty("/api/v1/posts").GetProperty("post").GetProperty("requestBody");
        Assert.True(body.GetProperty("required").GetBoolean());
        Assert.Equal(["multipart/form-data"], body.GetProperty("content").EnumerateObject().Select(c => c.Name)); // a file needs multipart
        var form = Resolve(openApi, body.GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema"));
        // Either an image (with its prompt) or a generationId (whose prompt stands): no one field is required of every post.
        Assert.False(form.TryGetProperty("required", out var required) && required.GetArrayLength() > 0, $"{required}");
        var properties = form.GetProperty("properties");
        Assert.Equal(["allowTraining", "altText", "caption", "contentWarning", "generationId", "image", "negativePrompt", "prompt", "promptVisibility",
            "remixOf", "sensitive", "tags"], properties.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var image = Resolve(openApi, properties.GetProperty("image"));
        Assert.Contains("string", Types(image));
        Assert.Equal("binary", image.GetProperty("format").GetString());
        Assert.Contains("string", Types(Resolve(openApi, properties.GetProperty("prompt"))));
        Assert.Contains("string", Types(Resolve(openApi, properties.GetProperty("caption"))));
        var key = openApi.GetProperty("paths").GetProperty("/api/v1/posts").GetProperty("post").GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == "Idempotency-Key");
        Assert.Equal(("header", true), (key.GetProperty("in").GetString(), key.GetProperty("required").GetBoolean()));
    }

    [Fact]
    public async Task Every_endpoint_is_in_the_OpenAPI_document_and_each_API_operation_lists_its_problem_responses()
    {
        var paths = (await feed.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths");
        var endpoints = feed.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(method => (Path: DocumentPath(e.RoutePattern), Method: method)))
            .Where(e => !new[] { "/openapi", "/scalar", "/health", "/alive" }.Any(own => e.Path.StartsWith(own, StringComparison.Ordinal)))
            .ToList();

        Assert.Contains(("/api/v1/events", "POST"), endpoints);
        foreach (var (path, method) in endpoints)
        {
            Assert.True(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method.ToLowerInvariant(), out _),
                $"{method} {path} is missing from the OpenAPI document.");
            var responses = item.GetProperty(method.ToLowerInvariant()).GetProperty("responses");
            var statuses = responses.EnumerateObject().Select(r => r.Name).ToList();
            if (path.StartsWith("/api/", StringComparison.Ordinal))
            {
                Assert.True(statuses.Contains("429"), $"{method} {path} does not list its rate limit (429).");
            }

            if (item.GetProperty(method.ToLowerInvariant()).TryGetProperty("requestBody", out _))
            {
                Assert.True(new[] { "400", "413", "415" }.All(statuses.Contains), $"{method} {path} takes a body but does not list 400, 413 and 415.");
            }

            foreach (var problem in responses.EnumerateObject().Where(r => r.Name[0] is '4' or '5'))
            {
                Assert.True(problem.Value.TryGetProperty("content", out var content) && content.TryGetProperty("application/problem+json", out _),
                    $"{method} {path} answers {problem.Name} with something other than a problem.");
            }
        }
    }

    // A route as the document names it: /api/v1/posts/{id:guid} is /api/v1/posts/{id}.
    private static string DocumentPath(RoutePattern pattern) =>
        "/" + string.Join("/", pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter => $"{{{parameter.Name}}}",
            _ => "",
        }))));

    // A schema with its $ref followed, and a nullable one ("oneOf": [null, X]) read as X.
    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var target = document;
            foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/'))
            {
                target = target.GetProperty(part);
            }

            return Resolve(document, target);
        }

        if (schema.TryGetProperty("oneOf", out var choices))
        {
            return Resolve(document, Assert.Single(choices.EnumerateArray(), c => !(c.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "null")));
        }

        return schema;
    }

    private static IEnumerable<string?> Types(JsonElement schema) =>
        schema.GetProperty("type") is { ValueKind: JsonValueKind.Array } types ? types.EnumerateArray().Select(t => t.GetString()) : [schema.GetProperty("type").GetString()];
}
