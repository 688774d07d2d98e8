using System.Reflection;
using AiSocial.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace AiSocial.ServiceDefaults;

/// <summary>
/// A refusal as an endpoint result: an RFC 9457 problem with one fixed status. Handlers name each of these they can
/// return in their <see cref="Results{TResult1, TResult2}"/> union, so the OpenAPI document lists every problem response.
/// </summary>
public abstract class ProblemResult : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ProblemDetails>, IContentTypeHttpResult
{
    private protected ProblemResult(int status, Refusal refusal)
    {
        if (refusal.Problem.Status != status)
        {
            throw new ArgumentException(
                $"Problem '{refusal.Problem.Code}' is a {refusal.Problem.Status}, not a {status}; return the result type for {refusal.Problem.Status}.",
                nameof(refusal));
        }

        Value = refusal.ToProblemDetails();
        RetryAfter = refusal.RetryAfter;
    }

    /// <summary>Sent as the <c>Retry-After</c> header, in whole seconds, when the refusal lapses.</summary>
    public TimeSpan? RetryAfter { get; }

    public ProblemDetails Value { get; }

    object? IValueHttpResult.Value => Value;

    public int StatusCode => Value.Status!.Value;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public string ContentType => ProblemResponses.ContentType;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        if (RetryAfter is { } wait)
        {
            httpContext.Response.Headers.RetryAfter = ((long)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return ProblemResponses.WriteAsync(httpContext, Value);
    }

    private protected static void Describe(EndpointBuilder builder, int status) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(status,
            status == StatusCodes.Status400BadRequest ? typeof(HttpValidationProblemDetails) : typeof(ProblemDetails),
            [ProblemResponses.ContentType]));
}

/// <summary>400: the request is malformed or has invalid fields (then with <c>errors</c> per field).</summary>
public sealed class BadRequestProblem(Refusal refusal) : ProblemResult(StatusCodes.Status400BadRequest, refusal), IEndpointMetadataProvider
{
    public BadRequestProblem(Problem problem, string detail)
        : this(new Refusal(problem, detail))
    {
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status400BadRequest);
}

/// <summary>401: not signed in, or the credentials are wrong.</summary>
public sealed class UnauthorizedProblem(Refusal refusal) : ProblemResult(StatusCodes.Status401Unauthorized, refusal), IEndpointMetadataProvider
{
    public UnauthorizedProblem(Problem problem, string detail)
        : this(new Refusal(problem, detail))
    {
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status401Unauthorized);
}

/// <summary>403: signed in, or the credentials are right, but this is not allowed (a missing role, a suspended account).</summary>
public sealed class ForbiddenProblem(Refusal refusal) : ProblemResult(StatusCodes.Status403Forbidden, refusal), IEndpointMetadataProvider
{
    public ForbiddenProblem(Problem problem, string detail)
        : this(new Refusal(problem, detail))
    {
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status403Forbidden);
}

/// <summary>404: nothing there, or nothing the caller may see.</summary>
public sealed class NotFoundProblem(Refusal refusal) : ProblemResult(StatusCodes.Status404NotFound, refusal), IEndpointMetadataProvider
{
    public NotFoundProblem(Problem problem, string detail)
        : this(new Refusal(problem, detail))
    {
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status404NotFound);
}

/// <summary>409: the request conflicts with what is there (a taken name, something already decided).</summary>
public sealed class ConflictProblem(Refusal refusal) : ProblemResult(StatusCodes.Status409Conflict, refusal), IEndpointMetadataProvider
{
    public ConflictProblem(Problem problem, string detail)
        : this(new Refusal(problem, detail))
    {
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status409Conflict);
}

/// <summary>413: the request or a file in it is too large.</summary>
public sealed class PayloadTooLargeProblem(Refusal refusal) : ProblemResult(StatusCodes.Status413PayloadTooLarge, refusal), IEndpointMetadataProvider
{
    public PayloadTooLargeProblem(Problem problem, string detail)
        : this(new Refusal(problem, detail))
    {
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status413PayloadTooLarge);
}

/// <summary>415: the body, or a file in it, is not in a format the endpoint takes.</summary>
public sealed class UnsupportedMediaTypeProblem(Refusal refusal)
    : ProblemResult(StatusCodes.Status415UnsupportedMediaType, refusal), IEndpointMetadataProvider
{
    public UnsupportedMediaTypeProblem(Problem problem, string detail)
        : this(new Refusal(problem, detail))
    {
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status415UnsupportedMediaType);
}

/// <summary>422: well-formed, but it cannot be done as sent (an image that does not decode, a reused idempotency key).</summary>
public sealed class UnprocessableProblem(Refusal refusal)
    : ProblemResult(StatusCodes.Status422UnprocessableEntity, refusal), IEndpointMetadataProvider
{
    public UnprocessableProblem(Problem problem, string detail)
        : this(new Refusal(problem, detail))
    {
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status422UnprocessableEntity);
}

/// <summary>429: too many attempts; <c>Retry-After</c> says when to try again.</summary>
public sealed class TooManyRequestsProblem(Refusal refusal) : ProblemResult(StatusCodes.Status429TooManyRequests, refusal), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status429TooManyRequests);
}

/// <summary>502, 503 or 504: a service the request depends on failed, was unavailable, or did not answer in time; nothing was changed.</summary>
public sealed class UpstreamProblem(Refusal refusal) : ProblemResult(UpstreamStatus(refusal), refusal), IEndpointMetadataProvider
{
    private static int UpstreamStatus(Refusal refusal) => refusal.Problem.Status is StatusCodes.Status502BadGateway
        or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status504GatewayTimeout
        ? refusal.Problem.Status
        : throw new ArgumentException($"Problem '{refusal.Problem.Code}' is a {refusal.Problem.Status}, not a 502, 503 or 504.", nameof(refusal));

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        Describe(builder, StatusCodes.Status502BadGateway);
        Describe(builder, StatusCodes.Status503ServiceUnavailable);
        Describe(builder, StatusCodes.Status504GatewayTimeout);
    }
}

/// <summary>503: the server cannot take this now (a full queue, a failed write); <c>Retry-After</c> says when to try again.</summary>
public sealed class ServiceUnavailableProblem(Refusal refusal) : ProblemResult(StatusCodes.Status503ServiceUnavailable, refusal), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status503ServiceUnavailable);
}
