using System.IO.Compression;
using System.Text;

namespace AiSocial.Testing;

/// <summary>What a hostile request may use: a valid bearer token, so the input itself is what gets judged.</summary>
public sealed record HostileContext(string Token);

/// <summary>
/// One request from the regression corpus: the input class the outside probe tried, what it is, the raw bytes, and
/// the status Feed answers it with (every one a refusal: 4xx with a problem body, and nothing stored).
/// </summary>
public sealed record HostileRequest(string Class, string Name, int FeedStatus, Func<HostileContext, byte[]> Build)
{
    public override string ToString() => $"{Class}: {Name}";
}

/// <summary>
/// The regression corpus: each case an outside probe of the platform tried (or one of its kind), as raw HTTP so
/// nothing a client library would tidy up is lost. Test classes on each host send every case and assert never a
/// 5xx, always an RFC 9457 problem that says what was wrong, and no row and no file stored.
/// </summary>
public static class HostileRequests
{
    public const string MalformedJson = "malformed JSON";
    public const string WrongTypes = "wrong types";
    public const string DeepNesting = "deep nesting";
    public const string HugeStrings = "huge strings";
    public const string Unicode = "unicode edge cases";
    public const string Multipart = "multipart edge cases";
    public const string Images = "corrupt and hostile images";
    public const string Headers = "header abuse";
    public const string Paths = "paths and queries";

    private const string SignUp = "/api/v1/accounts";
    private const string SignIn = "/api/v1/sessions";
    private const string Posts = "/api/v1/posts";
    private const string Consent = "/api/v1/me/consent";
    private const string Events = "/api/v1/events";

    public static IReadOnlyList<HostileRequest> All { get; } = Build();

    /// <summary>The names of every case, for a theory's data (names serialise; the cases are looked up by them).</summary>
    public static IEnumerable<object[]> Names => All.Select(c => new object[] { c.ToString() });

    public static HostileRequest Named(string name) => All.Single(c => c.ToString() == name);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Bearer(HostileContext context) => $"Authorization: Bearer {context.Token}";

    private static byte[] Json(string target, byte[] body, string method = "POST", string? token = null) =>
        RawHttp.Request(method, target, token is null ? ["Content-Type: application/json"] : ["Content-Type: application/json", $"Authorization: Bearer {token}"], body);

    private static byte[] Json(string target, string body, string method = "POST", string? token = null) => Json(target, Utf8(body), method, token);

    /// <summary>A sign-up body with one field's raw JSON replaced; the rest valid.</summary>
    private static string SignUpWith(string field, string rawValue)
    {
        var fields = new Dictionary<string, string>
        {
            ["handle"] = "\"corpus_person\"",
            ["displayName"] = "\"Corpus Person\"",
            ["password"] = "\"a long enough password\"",
            ["birthYear"] = "1990",
        };
        fields[field] = rawValue;
        return "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":{f.Value}")) + "}";
    }

    /// <summary>A valid sign-up up to the opening quote of its display name, for bodies that end in raw bytes.</summary>
    private const string SignUpPrefix = "{\"handle\":\"corpus_person\",\"password\":\"a long enough password\",\"birthYear\":1990,\"displayName\":\"";

    private sealed record Part(string Headers, byte[] Content);

    private static Part Field(string name, string value) => new($"Content-Disposition: form-data; name=\"{name}\"", Utf8(value));

    private static Part File(string name, byte[] content, string type = "image/png") =>
        new($"Content-Disposition: form-data; name=\"{name}\"; filename=\"upload.png\"\r\nContent-Type: {type}", content);

    private static byte[] MultipartBody(string boundary, IEnumerable<Part> parts, bool close = true)
    {
        var body = new MemoryStream();
        foreach (var part in parts)
        {
            body.Write(Utf8($"--{boundary}\r\n{part.Headers}\r\n\r\n"));
            body.Write(part.Content);
            body.Write("\r\n"u8);
        }

        if (close)
        {
            body.Write(Utf8($"--{boundary}--\r\n"));
        }

        return body.ToArray();
    }

    private const string Boundary = "corpus-boundary-7f3a";

    /// <summary>A post whose parts and headers are as given; the content type names <paramref name="boundary"/>.</summary>
    private static byte[] Post(HostileContext context, IEnumerable<Part> parts, string boundary = Boundary, string? contentType = null,
        string? key = "corpus-key", bool close = true, byte[]? body = null)
    {
        List<string> headers = [Bearer(context), $"Content-Type: {contentType ?? $"multipart/form-data; boundary={boundary}"}"];
        if (key is not null)
        {
            headers.Add($"Idempotency-Key: {key}");
        }

        return RawHttp.Request("POST", Posts, headers, body ?? MultipartBody(boundary, parts, close));
    }

    private static byte[] PostImage(HostileContext context, byte[] image) =>
        Post(context, [Field("prompt", "a corpus image"), File("image", image)]);

    private static byte[] PostText(HostileContext context, string field, string value) =>
        Post(context, [Field("prompt", field == "prompt" ? value : "a corpus image"), .. field == "caption" ? [Field("caption", value)] : Array.Empty<Part>(),
            File("image", TestImages.Png(seed: 99))]);

    /// <summary>A real 8192×8192 PNG of zeros: 256 MiB of pixels compressed to a few hundred kilobytes.</summary>
    private static byte[] DecompressionBomb()
    {
        const int side = 8192;
        var row = new byte[1 + side * 4];
        using var deflated = new MemoryStream();
        using (var zlib = new ZLibStream(deflated, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            for (var y = 0; y < side; y++)
            {
                zlib.Write(row);
            }
        }

        var header = TestImages.PngClaiming(side, side);
        return TestImages.WithPngChunk(header, "IDAT", deflated.ToArray());
    }

    /// <summary>A real JPEG whose frame header (SOF0) was edited to claim 65 500 px on each side.</summary>
    private static byte[] JpegClaimingHuge()
    {
        var jpeg = TestImages.Jpeg(64, 48);
        for (var i = 2; i + 9 < jpeg.Length; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC2)
            {
                jpeg[i + 5] = 0xFF; jpeg[i + 6] = 0xDC; // height 65500
                jpeg[i + 7] = 0xFF; jpeg[i + 8] = 0xDC; // width 65500
                return jpeg;
            }
        }

        throw new InvalidOperationException("No frame header found.");
    }

    /// <summary>A GIF whose logical screen and single frame claim 65 535 px on each side, with almost no data.</summary>
    private static byte[] GifClaimingHuge()
    {
        var gif = TestImages.Gif.ToArray();
        gif[6] = gif[7] = gif[8] = gif[9] = 0xFF; // logical screen
        gif[23] = gif[24] = gif[25] = gif[26] = 0xFF; // image descriptor width and height
        return gif;
    }

    private static List<HostileRequest> Build()
    {
        var cases = new List<HostileRequest>();

        void Add(string @class, string name, int status, Func<HostileContext, byte[]> build) => cases.Add(new HostileRequest(@class, name, status, build));

        // Malformed JSON
        Add(MalformedJson, "sign-up body cut off mid-object", 400, _ => Json(SignUp, "{\"handle\": \"corpus_person\","));
        Add(MalformedJson, "sign-up body that is not JSON", 400, _ => Json(SignUp, "handle=corpus_person"));
        Add(MalformedJson, "sign-up with a second document after the first", 400, _ => Json(SignUp, SignUpWith("birthYear", "1990") + " {}"));
        Add(MalformedJson, "sign-up with a comment", 400, _ => Json(SignUp, "{/* hi */" + SignUpWith("birthYear", "1990")[1..]));
        Add(MalformedJson, "sign-up with single-quoted strings", 400, _ => Json(SignUp, "{'handle': 'corpus_person'}"));
        Add(MalformedJson, "sign-up with an empty body", 400, _ => Json(SignUp, ""));
        Add(MalformedJson, "sign-up with a JSON null", 400, _ => Json(SignUp, "null"));
        Add(MalformedJson, "sign-in body cut off", 400, _ => Json(SignIn, "{\"handle\":"));
        Add(MalformedJson, "consent body with a trailing comma", 400, c => Json(Consent, "{\"purpose\":\"cawg.ai_training\",\"granted\":true,}", "PUT", c.Token));
        Add(MalformedJson, "sign-up sent as text/plain", 415, _ => RawHttp.Request("POST", SignUp, ["Content-Type: text/plain"], Utf8(SignUpWith("birthYear", "1990"))));
        Add(MalformedJson, "sign-up with no Content-Type", 415, _ => RawHttp.Request("POST", SignUp, [], Utf8(SignUpWith("birthYear", "1990"))));

        // Wrong types
        Add(WrongTypes, "sign-up handle as a number", 400, _ => Json(SignUp, SignUpWith("handle", "42")));
        Add(WrongTypes, "sign-up birth year as words", 400, _ => Json(SignUp, SignUpWith("birthYear", "\"nineteen ninety\"")));
        Add(WrongTypes, "sign-up birth year past any integer", 400, _ => Json(SignUp, SignUpWith("birthYear", "1e400")));
        Add(WrongTypes, "sign-up birth year with a fraction", 400, _ => Json(SignUp, SignUpWith("birthYear", "1990.5")));
        Add(WrongTypes, "sign-up password as an object", 400, _ => Json(SignUp, SignUpWith("password", "{\"value\":\"secret\"}")));
        Add(WrongTypes, "sign-up body as an array", 400, _ => Json(SignUp, "[" + SignUpWith("birthYear", "1990") + "]"));
        Add(WrongTypes, "sign-in password as an array", 400, _ => Json(SignIn, "{\"handle\":\"corpus_person\",\"password\":[\"a\",\"b\"]}"));
        Add(WrongTypes, "consent granted as a string", 400, c => Json(Consent, "{\"purpose\":\"cawg.ai_training\",\"granted\":\"yes\",\"termsVersion\":\"2026-01\"}", "PUT", c.Token));
        Add(WrongTypes, "consent for a purpose that does not exist", 400, c => Json(Consent, "{\"purpose\":\"resale\",\"granted\":true,\"termsVersion\":\"2026-01\"}", "PUT", c.Token));
        Add(WrongTypes, "events as an object where the array goes", 400, c => Json(Events, "{\"events\":{\"type\":\"view\"}}", token: c.Token));
        Add(WrongTypes, "an event post id as a number", 400, c => Json(Events, "{\"events\":[{\"type\":\"view\",\"postId\":5}]}", token: c.Token));
        Add(WrongTypes, "an event dwell past any integer", 400, c => Json(Events, "{\"events\":[{\"type\":\"dwell\",\"postId\":\"3fa85f64-5717-4562-b3fc-2c963f66afa6\",\"ms\":1e400}]}", token: c.Token));
        Add(WrongTypes, "an event time that is not a time", 400, c => Json(Events, "{\"events\":[{\"type\":\"view\",\"postId\":\"3fa85f64-5717-4562-b3fc-2c963f66afa6\",\"at\":\"yesterday\"}]}", token: c.Token));
        Add(HugeStrings, "2 000 events in one batch", 400, c => Json(Events, "{\"events\":[" + string.Join(",", Enumerable.Repeat("{\"type\":\"view\",\"postId\":\"3fa85f64-5717-4562-b3fc-2c963f66afa6\"}", 2_000)) + "]}", token: c.Token));
        Add(WrongTypes, "timeline limit that is not a number", 400, _ => RawHttp.Request("GET", "/api/v1/timelines/public?limit=lots"));
        Add(WrongTypes, "timeline limit past any integer", 400, _ => RawHttp.Request("GET", "/api/v1/timelines/public?limit=99999999999999999999"));
        Add(WrongTypes, "timeline limit below one", 400, _ => RawHttp.Request("GET", "/api/v1/timelines/public?limit=-5"));
        Add(WrongTypes, "timeline cursor this server never issued", 400, _ => RawHttp.Request("GET", "/api/v1/timelines/public?cursor=bm90LWEtY3Vyc29y"));

        // Deep nesting
        Add(DeepNesting, "sign-up handle nested 10 000 arrays deep", 400, _ => Json(SignUp, SignUpWith("handle", new string('[', 10_000) + new string(']', 10_000))));
        Add(DeepNesting, "sign-up body nested 100 000 objects deep", 413, _ => Json(SignUp, string.Concat(Enumerable.Repeat("{\"a\":", 100_000)) + "1" + new string('}', 100_000)));
        Add(DeepNesting, "consent body with 200 levels of objects", 400, c => Json(Consent, string.Concat(Enumerable.Repeat("{\"purpose\":", 200)) + "\"x\"" + new string('}', 200), "PUT", c.Token));

        // Huge strings
        Add(HugeStrings, "sign-up display name of one megabyte", 413, _ => Json(SignUp, SignUpWith("displayName", $"\"{new string('x', 1 << 20)}\"")));
        Add(HugeStrings, "sign-up handle of 100 000 characters", 413, _ => Json(SignUp, SignUpWith("handle", $"\"{new string('h', 100_000)}\"")));
        Add(HugeStrings, "sign-in password of one megabyte", 413, _ => Json(SignIn, $"{{\"handle\":\"corpus_person\",\"password\":\"{new string('p', 1 << 20)}\"}}"));
        Add(HugeStrings, "sign-up body of 40 megabytes", 413, _ => Json(SignUp, SignUpWith("displayName", $"\"{new string('x', 40 << 20)}\"")));
        Add(HugeStrings, "post prompt of 100 000 characters", 400, c => PostText(c, "prompt", new string('p', 100_000)));
        Add(HugeStrings, "post caption of 100 000 characters", 400, c => PostText(c, "caption", new string('c', 100_000)));
        Add(HugeStrings, "consent terms version of 100 000 characters", 413, c => Json(Consent, $"{{\"purpose\":\"cawg.ai_training\",\"granted\":true,\"termsVersion\":\"{new string('v', 100_000)}\"}}", "PUT", c.Token));

        // Unicode edge cases
        Add(Unicode, "sign-up display name with U+0000", 400, _ => Json(SignUp, SignUpWith("displayName", "\"Corpus\\u0000Person\"")));
        Add(Unicode, "sign-up display name with a bell character", 400, _ => Json(SignUp, SignUpWith("displayName", "\"Corpus\\u0007Person\"")));
        Add(Unicode, "sign-up display name with an unpaired surrogate", 400, _ => Json(SignUp, SignUpWith("displayName", "\"Corpus\\ud800Person\"")));
        Add(Unicode, "sign-up display name of invalid UTF-8 bytes", 400, _ => Json(SignUp, [.. Utf8(SignUpPrefix + "Corpus"), 0xFF, 0xFE, .. "\"}"u8]));
        Add(Unicode, "sign-up display name with an overlong UTF-8 slash", 400, _ => Json(SignUp, [.. Utf8(SignUpPrefix + "a"), 0xC0, 0xAF, .. "\"}"u8]));
        Add(Unicode, "sign-up display name with a right-to-left override", 400, _ => Json(SignUp, SignUpWith("displayName", "\"Corpus \u202Egnp.exe\"")));
        Add(Unicode, "sign-up display name of only zero-width spaces", 400, _ => Json(SignUp, SignUpWith("displayName", "\"\u200B\u200B\u200B\"")));
        Add(Unicode, "sign-up handle in Cyrillic look-alikes", 400, _ => Json(SignUp, SignUpWith("handle", "\"\u0430dmin\"")));
        Add(Unicode, "sign-in handle with U+0000", 400, _ => Json(SignIn, "{\"handle\":\"corpus\\u0000person\",\"password\":\"whatever it is\"}"));
        Add(Unicode, "consent terms version with U+0000", 400, c => Json(Consent, "{\"purpose\":\"cawg.ai_training\",\"granted\":true,\"termsVersion\":\"2026\\u0000\"}", "PUT", c.Token));
        Add(Unicode, "post prompt with U+0000", 400, c => PostText(c, "prompt", "a red\0fox"));
        Add(Unicode, "post caption with a left-to-right embedding", 400, c => PostText(c, "caption", "look \u202Ahere"));
        Add(Unicode, "post caption of invalid UTF-8 bytes", 400, c => Post(c, [Field("prompt", "a corpus image"), new Part("Content-Disposition: form-data; name=\"caption\"", [0x66, 0xFF, 0xFE, 0x6F]), File("image", TestImages.Png(seed: 98))]));
        Add(Unicode, "post prompt of only invisible characters", 400, c => PostText(c, "prompt", "\u200B\u2060\uFEFF"));

        // Multipart edge cases
        Add(Multipart, "a boundary that does not match the body", 400, c => Post(c, [Field("prompt", "p"), File("image", TestImages.Png())], contentType: "multipart/form-data; boundary=not-the-one-used"));
        Add(Multipart, "a body cut off before its closing boundary", 400, c => Post(c, [Field("prompt", "p"), File("image", TestImages.Png())], close: false));
        Add(Multipart, "a body cut off inside the image", 400, c => Post(c, [], body: MultipartBody(Boundary, [Field("prompt", "p"), File("image", TestImages.Png())])[..200]));
        Add(Multipart, "multipart without a boundary", 400, c => Post(c, [Field("prompt", "p"), File("image", TestImages.Png())], contentType: "multipart/form-data"));
        Add(Multipart, "a boundary with an unterminated quote", 415, c => Post(c, [Field("prompt", "p"), File("image", TestImages.Png())], contentType: "multipart/form-data; boundary=\"corpus"));
        Add(Multipart, "a boundary of 200 characters", 400, c => Post(c, [Field("prompt", "p"), File("image", TestImages.Png())], boundary: new string('b', 200)));
        Add(Multipart, "two image fields", 400, c => Post(c, [Field("prompt", "p"), File("image", TestImages.Png(seed: 1)), File("image", TestImages.Png(seed: 2))]));
        Add(Multipart, "two prompt fields", 400, c => Post(c, [Field("prompt", "one"), Field("prompt", "two"), File("image", TestImages.Png())]));
        Add(Multipart, "no image part", 400, c => Post(c, [Field("prompt", "p")]));
        Add(Multipart, "an empty image file", 400, c => Post(c, [Field("prompt", "p"), File("image", [])]));
        Add(Multipart, "a part header of 100 KB", 400, c => Post(c, [Field("prompt", "p"), new Part($"Content-Disposition: form-data; name=\"caption\"\r\nX-Junk: {new string('j', 100_000)}", Utf8("c")), File("image", TestImages.Png())]));
        Add(Multipart, "5 000 form fields", 400, c => Post(c, [.. Enumerable.Range(0, 5_000).Select(i => Field($"f{i}", "v")), Field("prompt", "p"), File("image", TestImages.Png())]));
        Add(Multipart, "a post sent as JSON", 415, c => RawHttp.Request("POST", Posts, [Bearer(c), "Content-Type: application/json", "Idempotency-Key: corpus-json"], Utf8("{\"prompt\":\"p\"}")));
        Add(Multipart, "a post sent url-encoded", 415, c => RawHttp.Request("POST", Posts, [Bearer(c), "Content-Type: application/x-www-form-urlencoded", "Idempotency-Key: corpus-form"], Utf8("prompt=p&image=abc")));
        Add(Multipart, "a post with a chunked body that lies about chunk sizes", 400, c => RawHttp.Request("POST", Posts,
            [Bearer(c), $"Content-Type: multipart/form-data; boundary={Boundary}", "Idempotency-Key: corpus-chunked", "Transfer-Encoding: chunked"], Utf8("zz\r\nnot a chunk\r\n0\r\n\r\n")));
        Add(Multipart, "a post without an Idempotency-Key", 400, c => Post(c, [Field("prompt", "p"), File("image", TestImages.Png())], key: null));
        Add(Multipart, "an Idempotency-Key with a control character", 400, c => Post(c, [Field("prompt", "p"), File("image", TestImages.Png())], key: "corpus\u0001key"));
        Add(Multipart, "an Idempotency-Key of 10 000 characters", 400, c => Post(c, [Field("prompt", "p"), File("image", TestImages.Png())], key: new string('k', 10_000)));

        // Corrupt and hostile images
        Add(Images, "a text file named .png", 415, c => PostImage(c, TestImages.Text));
        Add(Images, "a PNG cut off halfway", 422, c => PostImage(c, TestImages.Truncated(TestImages.Png(300, 300))));
        Add(Images, "a JPEG cut off halfway", 422, c => PostImage(c, TestImages.Truncated(TestImages.Jpeg(300, 300))));
        Add(Images, "a PNG header claiming 30 000 px with no pixels", 422, c => PostImage(c, TestImages.PngClaiming(30_000, 30_000)));
        Add(Images, "a PNG whose header was edited to 30 000 px", 422, c => PostImage(c, TestImages.WithPngSize(TestImages.Png(), 30_000, 30_000)));
        Add(Images, "a PNG of 7 000 × 7 000 px: each side allowed, 49 megapixels not", 422, c => PostImage(c, TestImages.PngClaiming(7_000, 7_000)));
        Add(Images, "an 8192² PNG of zeros (a decompression bomb)", 422, c => PostImage(c, DecompressionBomb()));
        Add(Images, "a JPEG whose frame header claims 65 500 px", 422, c => PostImage(c, JpegClaimingHuge()));
        Add(Images, "a GIF claiming 65 535 px on each side", 422, c => PostImage(c, GifClaimingHuge()));
        Add(Images, "a PNG signature followed by a JPEG", 422, c => PostImage(c, [.. TestImages.Png()[..8], .. TestImages.Jpeg()]));
        Add(Images, "a RIFF WEBP header with nothing after it", 422, c => PostImage(c, [.. "RIFF"u8, 4, 0, 0, 0, .. "WEBPVP8 "u8]));
        Add(Images, "a PNG whose pixel data is noise", 422, c => PostImage(c, TestImages.WithPngChunk(TestImages.PngClaiming(64, 64), "IDAT", [.. Enumerable.Range(0, 400).Select(i => (byte)(i * 37))])));
        Add(Images, "an image of 21 megabytes", 413, c => PostImage(c, [.. TestImages.Png(), .. new byte[21 << 20]]));

        // Header abuse
        Add(Headers, "a NUL byte in the path", 400, _ => Encoding.ASCII.GetBytes("GET /api/v1/\0 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        Add(Headers, "a Content-Length that is not a number", 400, _ => RawHttp.Request("POST", SignUp, ["Content-Type: application/json", "Content-Length: ten"]));
        Add(Headers, "two different Content-Lengths", 400, _ => RawHttp.Request("POST", SignUp, ["Content-Type: application/json", "Content-Length: 2", "Content-Length: 3"], Utf8("{}")));
        Add(Headers, "a 20 KB URL", 414, _ => RawHttp.Request("GET", $"/api/v1/timelines/public?cursor={new string('a', 20_000)}"));
        Add(Headers, "40 KB of headers", 431, _ => RawHttp.Request("GET", "/api/v1/timelines/public", [$"X-Junk: {new string('a', 40_000)}"]));
        Add(Headers, "a header line without a colon", 400, _ => RawHttp.Request("GET", "/", ["not a header"]));
        Add(Headers, "a Host this server does not answer for", 400, _ => RawHttp.Request("GET", "/api/v1/timelines/public", host: "evil.example"));
        Add(Headers, "an absolute URL naming another host", 400, _ => RawHttp.Request("GET", "http://evil.example/api/v1/timelines/public"));
        Add(Headers, "a chunk size that is not hexadecimal", 400, _ => RawHttp.Request("POST", SignUp, ["Content-Type: application/json", "Transfer-Encoding: chunked"], Utf8("zz\r\n{}\r\n0\r\n\r\n")));
        Add(Headers, "an unknown transfer coding", 400, _ => RawHttp.Request("POST", SignUp, ["Content-Type: application/json", "Transfer-Encoding: gzip"], Utf8("{}")));
        Add(Headers, "a bearer token of 10 000 characters", 401, _ => RawHttp.Request("GET", "/api/v1/me", [$"Authorization: Bearer {new string('t', 10_000)}"]));
        Add(Headers, "a bearer token with control characters", 400, _ => RawHttp.Request("GET", "/api/v1/me", ["Authorization: Bearer \u00ff\u00fe\u0001garbage"]));
        Add(Headers, "an Authorization header that says Bearer and nothing else", 401, _ => RawHttp.Request("GET", "/api/v1/me", ["Authorization: Bearer"]));
        Add(Headers, "a Content-Type of JSON in UTF-16 over UTF-8 bytes", 400, _ => RawHttp.Request("POST", SignUp, ["Content-Type: application/json; charset=utf-16"], Utf8(SignUpWith("birthYear", "1990"))));
        Add(Headers, "a method no route takes", 405, _ => RawHttp.Request("BREW", SignUp));

        // Paths and queries
        Add(Paths, "a path that climbs out of the media root", 404, _ => RawHttp.Request("GET", "/media/..%2f..%2f..%2fetc%2fpasswd"));
        Add(Paths, "a media hash in capitals", 404, _ => RawHttp.Request("GET", $"/media/{new string('A', 64)}"));
        Add(Paths, "a post id that is not a UUID", 404, _ => RawHttp.Request("GET", "/api/v1/posts/1%20or%201=1"));
        Add(Paths, "a handle of 2 000 characters", 404, _ => RawHttp.Request("GET", $"/api/v1/accounts/{new string('h', 2_000)}"));
        Add(Paths, "a percent-encoded NUL in a handle", 400, _ => RawHttp.Request("GET", "/api/v1/accounts/corpus%00person"));
        Add(Paths, "a cursor with a percent-encoded NUL", 400, _ => RawHttp.Request("GET", "/api/v1/timelines/public?cursor=%00"));
        Add(Paths, "a broken percent-encoding in the query", 400, _ => RawHttp.Request("GET", "/api/v1/timelines/public?limit=%zz"));

        return cases;
    }
}

/// <summary>What every answer to a hostile request must be.</summary>
public static class HostileAnswers
{
    /// <summary>
    /// A refusal: the status expected (or, with null, any 4xx), never a 5xx, an RFC 9457 problem whose detail says
    /// what was wrong in words a client can act on (no C# type names), and no Server header.
    /// </summary>
    public static void AssertRefused(RawResponse response, int? status, string what)
    {
        var context = $"{what}: {response.Head}\n{(response.Body.Length > 2000 ? response.Text[..2000] : response.Text)}";
        Xunit.Assert.True(response.Status < 500, $"5xx for {context}");
        if (status is { } expected)
        {
            Xunit.Assert.True(expected == response.Status, $"expected {expected}, got {context}");
        }
        else
        {
            Xunit.Assert.True(response.Status is >= 400 and < 500, $"expected a 4xx, got {context}");
        }

        Xunit.Assert.True(response.Header("Content-Type")?.StartsWith("application/problem+json", StringComparison.Ordinal) == true, $"not a problem: {context}");
        Xunit.Assert.Null(response.Header("Server"));
        using var problem = System.Text.Json.JsonDocument.Parse(response.Body);
        var root = problem.RootElement;
        Xunit.Assert.Equal(response.Status, root.GetProperty("status").GetInt32());
        Xunit.Assert.StartsWith("urn:aisocial:problem:", root.GetProperty("type").GetString());
        Xunit.Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("title").GetString()), context);
        var detail = root.TryGetProperty("detail", out var d) ? d.GetString() : null;
        Xunit.Assert.False(string.IsNullOrWhiteSpace(detail), $"no detail: {context}");
        foreach (var internalName in new[] { "System.", "Microsoft.", "Nullable<", "Npgsql", "Exception", " at AiSocial" })
        {
            Xunit.Assert.False(detail!.Contains(internalName, StringComparison.Ordinal), $"the detail names '{internalName}': {context}");
        }
    }
}
