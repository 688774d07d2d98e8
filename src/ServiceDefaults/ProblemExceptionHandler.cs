using System.Text.Json;
using AiSocial.Problems;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace AiSocial.ServiceDefaults;

/// <summary>
/// Turns what the framework refuses before a handler runs (a body it cannot read, one too large, one in a format the
/// endpoint does not take) into RFC 9457 problems. Handlers never throw; anything else stays a 500.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails? details = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge =>
                CommonProblems.PayloadTooLarge.ToProblemDetails(tooLarge.Message),
            // Its detail, which the endpoint takes, is filled in with every problem's defaults.
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => new ProblemDetails { Status = StatusCodes.Status415UnsupportedMediaType },
            BadHttpRequestException badRequest => CommonProblems.MalformedRequest.ToProblemDetails(Explain(badRequest)),
            InvalidDataException or JsonException => CommonProblems.MalformedRequest.ToProblemDetails(exception.Message),
            _ => null,
        };
        if (details is null)
        {
            return false;
        }

        httpContext.Response.StatusCode = details.Status!.Value;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = details, Exception = exception });
    }

    // The framework's message names a C# type; a client needs the JSON path and position instead.
    private static string Explain(BadHttpRequestException exception) => exception.InnerException switch
    {
        JsonException { Path: { Length: > 1 } path } json =>
            $"The JSON body has a value of the wrong type, or is malformed, at {path} (line {json.LineNumber + 1}, byte {json.BytePositionInLine}).",
        JsonException json => $"The body is malformed or is not the JSON object this endpoint expects (line {json.LineNumber + 1}, byte {json.BytePositionInLine}).",
        _ => exception.Message,
    };
}
