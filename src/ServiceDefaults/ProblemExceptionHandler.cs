using System.Text.Json;
using AiSocial.Ingest;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace AiSocial.ServiceDefaults;

/// <summary>Turns refusals and unreadable requests into RFC 9457 problems; anything else stays a 500.</summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails? details = exception switch
        {
            RequestRejectedException rejection => rejection.ToProblemDetails(httpContext),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge =>
                Problems.PayloadTooLarge.ToProblemDetails(tooLarge.Message, httpContext),
            BadHttpRequestException badRequest => Problems.MalformedRequest.ToProblemDetails(Explain(badRequest), httpContext),
            InvalidDataException or JsonException => Problems.MalformedRequest.ToProblemDetails(exception.Message, httpContext),
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
