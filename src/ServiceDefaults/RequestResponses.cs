using System.Globalization;
using AiSocial.Problems;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AiSocial.ServiceDefaults;

/// <summary>
/// Lists the problems the framework answers with before a handler runs, so the document names every error an endpoint
/// can give: for a request body, 400 (unreadable, or a value of the wrong type), 413 (over the size limit) and 415 (a
/// Content-Type the endpoint does not take); for query and header parameters, 400.
/// </summary>
internal sealed class RequestResponses : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var hasBody = operation.RequestBody is not null;
        var hasParameters = operation.Parameters?.Any(p => p.In is ParameterLocation.Query or ParameterLocation.Header) == true;
        if (!hasBody && !hasParameters)
        {
            return;
        }

        var schema = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken);
        operation.Responses ??= [];
        Add(CommonProblems.MalformedRequest, hasBody
            ? "The body cannot be read, has a value of the wrong type, or a field is invalid."
            : "A parameter has a value of the wrong type, or is invalid.");
        if (hasBody)
        {
            Add(CommonProblems.PayloadTooLarge, "The body is larger than this endpoint takes.");
            Add(CommonProblems.UnsupportedMediaType, "The body's Content-Type is not one this endpoint takes.");
        }

        void Add(Problem problem, string description) =>
            operation.Responses.TryAdd(problem.Status.ToString(CultureInfo.InvariantCulture), new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType> { [ProblemResponses.ContentType] = new() { Schema = schema } },
            });
    }
}
