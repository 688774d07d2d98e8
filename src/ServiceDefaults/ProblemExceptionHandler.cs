using System.Data.Common;
using System.Text.Json;
using System.Text.RegularExpressions;
using AiSocial.Problems;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace AiSocial.ServiceDefaults;

/// <summary>
/// Turns what the framework refuses before a handler runs (a body it cannot read, one too large, one in a format the
/// endpoint does not take) into RFC 9457 problems. Handlers never throw; anything else stays a 500.
/// </summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails? details = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                CommonProblems.PayloadTooLarge.ToProblemDetails(RequestBodies.TooLarge(httpContext)),
            // Its detail, which the endpoint takes, is filled in with every problem's defaults.
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => new ProblemDetails { Status = StatusCodes.Status415UnsupportedMediaType },
            BadHttpRequestException badRequest => CommonProblems.MalformedRequest.ToProblemDetails(Explain(badRequest)),
            InvalidDataException or JsonException => CommonProblems.MalformedRequest.ToProblemDetails(exception.Message),
            // A text the database cannot store (a NUL) that no check caught: still the request's fault, and nothing was written.
            DbException { SqlState: "22021" or "22P05" } => CommonProblems.MalformedRequest.ToProblemDetails(
                "A text field holds a character that cannot be stored (such as U+0000); send text without control characters."),
            _ => null,
        };
        if (details is null)
        {
            return false;
        }

        httpContext.Response.StatusCode = details.Status!.Value;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = details, Exception = exception });
    }

    // The framework's messages name C# types and parameters; a client needs to know what to send instead.
    private static string Explain(BadHttpRequestException exception)
    {
        if (exception.InnerException is JsonException json)
        {
            if (json.Message.Contains("maximum configured depth", StringComparison.Ordinal))
            {
                return $"The JSON body is nested too deeply at {json.Path} (line {json.LineNumber + 1}): objects and arrays may nest at most 64 levels.";
            }

            return json.Path is { Length: > 1 } path
                ? $"The JSON body has a value of the wrong type, or is malformed, at {path} (line {json.LineNumber + 1}, byte {json.BytePositionInLine})."
                : $"The body is malformed or is not the JSON object this endpoint expects (line {json.LineNumber + 1}, byte {json.BytePositionInLine}).";
        }

        if (FailedToBind().Match(exception.Message) is { Success: true } bind)
        {
            var value = bind.Groups["value"].Value;
            return $"'{bind.Groups["name"].Value}' must be {Expected(bind.Groups["type"].Value)}; '{(value.Length > 40 ? value[..40] + "…" : value)}' is not.";
        }

        if (NotProvided().Match(exception.Message) is { Success: true } missing)
        {
            return $"'{missing.Groups["name"].Value}' is required in the {missing.Groups["source"].Value}.";
        }

        if (exception.Message.StartsWith("Implicit body inferred", StringComparison.Ordinal) || exception.Message.Contains("no body was provided", StringComparison.Ordinal))
        {
            return "This endpoint takes a JSON object as its body, and the request had none (or sent null).";
        }

        if (exception.Message.StartsWith("Failed to read parameter", StringComparison.Ordinal))
        {
            return exception.InnerException is { } inner
                ? $"The request body could not be read as the form this endpoint takes: {inner.Message}"
                : "The request body could not be read as the form this endpoint takes; check the multipart boundary and that the body is complete.";
        }

        return exception.Message;
    }

    [GeneratedRegex("""^Failed to bind parameter "(?<type>.+) (?<name>[^ ]+)" from "(?<value>.*)"\.$""", RegexOptions.Singleline)]
    private static partial Regex FailedToBind();

    [GeneratedRegex("""^Required parameter "(?<type>.+) (?<name>[^ ]+)" was not provided from (?<source>.+?)\.$""")]
    private static partial Regex NotProvided();

    private static string Expected(string type) => type.Replace("Nullable<", "", StringComparison.Ordinal).TrimEnd('>') switch
    {
        "int" or "long" or "short" or "Int32" or "Int64" => "a whole number",
        "double" or "float" or "decimal" or "Double" => "a number",
        "Guid" => "an id like 3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "bool" or "Boolean" => "true or false",
        "DateTime" or "DateTimeOffset" => "a date and time like 2026-12-01T14:00:00Z",
        _ => "a value of the kind the API reference shows",
    };
}
