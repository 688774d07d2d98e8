using AiSocial.Problems;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AiSocial.ServiceDefaults;

/// <summary>
/// Lists the problems authorization answers with, before a handler runs: 401 on every endpoint that needs a signed-in
/// caller, and 403 where a role or policy is required too.
/// </summary>
internal sealed class AuthorizationResponses : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var rules = metadata.OfType<IAuthorizeData>().ToList();
        if (rules.Count == 0 || metadata.OfType<IAllowAnonymous>().Any())
        {
            return;
        }

        var schema = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken);
        operation.Responses ??= [];
        Add(operation, schema, CommonProblems.Unauthorized, "Not signed in, or the bearer token is unknown, expired or revoked.");
        if (rules.Any(rule => rule.Policy is not null || rule.Roles is not null) || metadata.OfType<AuthorizationPolicy>().Any())
        {
            Add(operation, schema, CommonProblems.Forbidden, CommonProblems.Forbidden.Title);
        }
    }

    private static void Add(OpenApiOperation operation, IOpenApiSchema schema, Problem problem, string description) =>
        operation.Responses!.TryAdd(problem.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { [ProblemResponses.ContentType] = new() { Schema = schema } },
        });
}
