using System.Security.Claims;
using AiSocial.Ingest;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Posts;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AiSocial.Feed.Apis;

/// <summary>Posting an image with its prompt, and reading posts.</summary>
public static class PostsApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapPostsApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/posts").WithTags("Posts");
        group.MapPost("", CreatePost).RequireAuthorization().DisableAntiforgery()
            .WithDescription("Multipart form: 'image' (PNG, JPEG, WebP or GIF, at most 20 MB and 8192 px a side), 'prompt', optional 'caption'. " +
                             "Requires an Idempotency-Key header; the same key with the same request returns the same post.");
        group.MapGet("/{id:guid}", GetPost);
        return group;
    }

    private static async Task<Accepted<PostResponse>> CreatePost(HttpRequest request, HttpResponse response, ClaimsPrincipal user,
        PostSubmissions submissions, IOptions<FormOptions> formOptions, CancellationToken cancellationToken)
    {
        var limit = formOptions.Value.MultipartBodyLengthLimit;
        if (request.ContentLength > limit)
        {
            throw new RequestRejectedException(Problems.PayloadTooLarge,
                $"The request is {request.ContentLength / (1024 * 1024)} MB; a post may be at most {limit / (1024 * 1024)} MB.");
        }

        if (!request.HasFormContentType)
        {
            throw new RequestRejectedException(Problems.UnsupportedMediaType,
                $"Send the post as multipart/form-data with an 'image' file and a 'prompt' field, not '{request.ContentType}'.");
        }

        var form = await request.ReadFormAsync(cancellationToken);
        var image = form.Files.GetFile("image");
        await using var content = image?.OpenReadStream();
        var submitted = await submissions.SubmitAsync(user.AccountId(), request.Headers[IdempotencyKeyHeader],
            new PostDraft(form["prompt"], form["caption"]), content, cancellationToken);
        if (submitted.Replayed)
        {
            response.Headers["Idempotent-Replayed"] = "true";
        }

        return TypedResults.Accepted($"/api/v1/posts/{submitted.Post.Id}", submitted.Post.ToResponse());
    }

    private static async Task<Results<Ok<PostResponse>, ProblemHttpResult>> GetPost(Guid id, ClaimsPrincipal user, PostStore posts,
        CancellationToken cancellationToken)
    {
        Guid? viewer = user.Identity?.IsAuthenticated == true ? user.AccountId() : null;
        return await posts.GetVisibleAsync(id, viewer, cancellationToken) is { } post
            ? TypedResults.Ok(post.ToResponse())
            : Problems.NotFound.AsResult($"There is no post {id}, or it is not published yet.");
    }
}
