using AiSocial.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.ServiceDefaults;

/// <summary>Writes RFC 9457 problem responses carrying the stable <c>type</c> and <c>code</c> of a <see cref="Problem"/>.</summary>
public static class ProblemResponses
{
    public const string ContentType = "application/problem+json";

    public static ProblemDetails ToProblemDetails(this Refusal refusal)
    {
        var details = refusal.Errors is { } errors
            ? new HttpValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value))
            : new ProblemDetails();
        details.Type = refusal.Problem.Type;
        details.Title = refusal.Problem.Title;
        details.Status = refusal.Problem.Status;
        details.Detail = refusal.Detail;
        details.Extensions["code"] = refusal.Problem.Code;
        foreach (var (name, value) in refusal.Extensions ?? new Dictionary<string, object?>())
        {
            details.Extensions[name] = value;
        }

        return details;
    }

    public static ProblemDetails ToProblemDetails(this Problem problem, string detail) => new Refusal(problem, detail).ToProblemDetails();

    /// <summary>Writes the problem as the response, through the host's <see cref="IProblemDetailsService"/> (so it gets the trace id).</summary>
    public static async Task WriteAsync(HttpContext context, ProblemDetails details)
    {
        context.Response.StatusCode = details.Status ?? StatusCodes.Status500InternalServerError;
        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await service.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = details });
    }

    public static Task WriteAsync(HttpContext context, Problem problem, string detail) => WriteAsync(context, problem.ToProblemDetails(detail));
}
