using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Posts;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace AiSocial.Feed.Apis;

/// <summary>A new post, as multipart/form-data: the image file and the prompt it was made from.</summary>
public sealed record PostForm
{
    [Required(ErrorMessage = PostSubmissions.ImageRule)]
    public IFormFile? Image { get; init; }

    [Required(ErrorMessage = PostSubmissions.PromptRule), StringLength(PostSubmissions.MaxPromptLength, ErrorMessage = PostSubmissions.PromptRule)]
    [MultiLineText]
    public string? Prompt { get; init; }

    [StringLength(PostSubmissions.MaxCaptionLength, ErrorMessage = PostSubmissions.CaptionRule)]
    [MultiLineText]
    public string? Caption { get; init; }
}

/// <summary>Posting an image with its prompt, and reading posts.</summary>
public static class PostsApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapPostsApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/posts").WithTags("Posts");
        // A file needs multipart; binding [FromForm] alone would also advertise (and take) url-encoded bodies.
        group.MapPost("", CreatePost).RequireAuthorization().DisableAntiforgery().Accepts<PostForm>("multipart/form-data")
            .WithDescription("Multipart form: 'image' (PNG, JPEG, WebP or GIF, at most 20 MB and 8192 px a side), 'prompt', optional 'caption'. " +
                             "Requires an Idempotency-Key header; the same key with the same request returns the same post.")
            // Bound as optional so that leaving it out gets its own problem (idempotency-key-missing); it is still required.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>().Where(p => p.Name == IdempotencyKeyHeader) ?? [])
                {
                    parameter.Required = true;
                }

                return Task.CompletedTask;
            });
        group.MapGet("/{id:guid}", GetPost);
        return group;
    }

    private static async Task<Results<Accepted<PostResponse>, BadRequestProblem, PayloadTooLargeProblem, UnsupportedMediaTypeProblem, UnprocessableProblem>>
        CreatePost([FromForm] PostForm form, [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey, ClaimsPrincipal user,
            HttpResponse response, PostSubmissions submissions, CancellationToken cancellationToken)
    {
        await using var image = form.Image?.OpenReadStream();
        var submitted = await submissions.SubmitAsync(user.AccountId(), idempotencyKey, new PostDraft(form.Prompt, form.Caption), image,
            cancellationToken);
        if (submitted.Refusal is { } refusal)
        {
            return refusal.Problem.Status switch
            {
                StatusCodes.Status413PayloadTooLarge => new PayloadTooLargeProblem(refusal),
                StatusCodes.Status415UnsupportedMediaType => new UnsupportedMediaTypeProblem(refusal),
                StatusCodes.Status422UnprocessableEntity => new UnprocessableProblem(refusal),
                _ => new BadRequestProblem(refusal),
            };
        }

        var (post, replayed) = submitted.Value;
        if (replayed)
        {
            response.Headers["Idempotent-Replayed"] = "true";
        }

        return TypedResults.Accepted($"/api/v1/posts/{post.Id}", post.ToResponse());
    }

    private static async Task<Results<Ok<PostResponse>, NotFoundProblem>> GetPost(Guid id, ClaimsPrincipal user, PostStore posts,
        CancellationToken cancellationToken)
    {
        Guid? viewer = user.Identity?.IsAuthenticated == true ? user.AccountId() : null;
        return await posts.GetVisibleAsync(id, viewer, cancellationToken) is { } post
            ? TypedResults.Ok(post.ToResponse())
            : new NotFoundProblem(CommonProblems.NotFound, $"There is no post {id}, or it is not published yet.");
    }
}
