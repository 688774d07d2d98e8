using System.Net;

namespace AiSocial.Moderation.ContentSafety;

/// <summary>
/// Content Safety could not answer: an error status (with the service's <c>x-ms-error-code</c> and <c>error.code</c>
/// and <c>error.message</c>), a timeout, an open circuit or a dropped connection. A check that meets it is
/// <em>unavailable</em>: nothing it would have said is taken as safe.
/// </summary>
public sealed class ContentSafetyException : Exception
{
    public ContentSafetyException(string operation, HttpStatusCode? status, string? headerErrorCode, string? errorCode, string? errorMessage,
        TimeSpan? retryAfter = null, Exception? inner = null)
        : base(Describe(operation, status, headerErrorCode, errorCode, errorMessage), inner)
    {
        Operation = operation;
        Status = status;
        HeaderErrorCode = headerErrorCode;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
        RetryAfter = retryAfter;
    }

    /// <summary>The call that failed, such as <c>text:analyze</c>.</summary>
    public string Operation { get; }

    /// <summary>The HTTP status of the last attempt; null when no answer came (timeout, circuit open, connection failed).</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>The <c>x-ms-error-code</c> header.</summary>
    public string? HeaderErrorCode { get; }

    /// <summary><c>error.code</c> from the body.</summary>
    public string? ErrorCode { get; }

    /// <summary><c>error.message</c> from the body, or what went wrong when there was no answer.</summary>
    public string? ErrorMessage { get; }

    /// <summary>When the service said to come back (<c>Retry-After</c>), if it did.</summary>
    public TimeSpan? RetryAfter { get; }

    private static string Describe(string operation, HttpStatusCode? status, string? headerErrorCode, string? errorCode, string? errorMessage)
    {
        var code = errorCode ?? headerErrorCode;
        var what = status is { } s ? $"{(int)s}{(code is null ? "" : $" {code}")}" : "no answer";
        return $"Content Safety {operation} failed: {what}{(string.IsNullOrEmpty(errorMessage) ? "" : $": {errorMessage}")}";
    }
}
