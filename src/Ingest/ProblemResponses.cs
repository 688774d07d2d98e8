using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.Ingest;

/// <summary>Writes RFC 9457 problem responses carrying the stable <c>type</c> and <c>code</c> of a <see cref="Problem"/>.</summary>
public static class ProblemResponses
{
    public static ProblemDetails ToProblemDetails(this Problem problem, string? detail, HttpContext? context = null)
    {
        var details = new ProblemDetails
        {
            Type = problem.Type,
            Title = problem.Title,
            Status = problem.Status,
            Detail = detail,
            Instance = context?.Request.Path,
        };
        details.Extensions["code"] = problem.Code;
        return details;
    }

    public static ProblemDetails ToProblemDetails(this RequestRejectedException rejection, HttpContext? context = null)
    {
        if (rejection is ValidationFailedException validation)
        {
            var details = new HttpValidationProblemDetails(validation.Errors.ToDictionary(e => e.Key, e => e.Value))
            {
                Type = validation.Problem.Type,
                Title = validation.Problem.Title,
                Status = validation.Problem.Status,
                Detail = validation.Message,
                Instance = context?.Request.Path,
            };
            details.Extensions["code"] = validation.Problem.Code;
            return details;
        }

        return rejection.Problem.ToProblemDetails(rejection.Message, context);
    }

    /// <summary>The problem as an endpoint result, for handlers that answer with it rather than throw.</summary>
    public static ProblemHttpResult AsResult(this Problem problem, string detail) => TypedResults.Problem(problem.ToProblemDetails(detail));

    public static async Task WriteAsync(HttpContext context, Problem problem, string? detail)
    {
        context.Response.StatusCode = problem.Status;
        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await service.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem.ToProblemDetails(detail, context) });
    }
}
