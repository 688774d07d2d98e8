namespace AiSocial.Problems;

/// <summary>
/// A stable problem a client can branch on: RFC 9457 <c>type</c> (<c>urn:aisocial:problem:{code}</c>), the <c>code</c>
/// extension and the HTTP status. Every problem is listed in docs/problems.md.
/// </summary>
public sealed record Problem(string Code, int Status, string Title)
{
    public string Type => $"urn:aisocial:problem:{Code}";
}

/// <summary>Problems any module or host may report. Each module keeps its own in its <c>XxxProblems</c> class.</summary>
public static class CommonProblems
{
    public static readonly Problem ValidationFailed = new("validation-failed", 400, "The request has invalid fields.");
    public static readonly Problem MalformedRequest = new("malformed-request", 400, "The request could not be read.");
    public static readonly Problem Unauthorized = new("unauthorized", 401, "Sign in first: send Authorization: Bearer <token>.");
    public static readonly Problem Forbidden = new("forbidden", 403, "Your role does not allow this.");
    public static readonly Problem NotFound = new("not-found", 404, "There is nothing here, or you may not see it.");
    public static readonly Problem MethodNotAllowed = new("method-not-allowed", 405, "This address does not take that HTTP method.");
    public static readonly Problem Conflict = new("conflict", 409, "The request conflicts with the current state.");
    public static readonly Problem PayloadTooLarge = new("payload-too-large", 413, "The request body is too large.");
    public static readonly Problem RateLimited = new("rate-limited", 429, "Too many requests; wait before sending more.");
    public static readonly Problem UnsupportedMediaType = new("unsupported-media-type", 415, "The request body is not in a format this endpoint takes.");
    public static readonly Problem InternalError = new("internal-error", 500, "Something went wrong on our side; nothing you sent was changed.");
}
