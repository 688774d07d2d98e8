using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Json.Serialization;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Posts;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace AiSocial.Feed.Apis;

/// <summary>A new post, as multipart/form-data: an image file or a generation of yours, the prompt it was made from and what goes with it.</summary>
public sealed record PostForm
{
    /// <summary>The image file; send this or <see cref="GenerationId"/>.</summary>
    public IFormFile? Image { get; init; }

    /// <summary>The id of an image you generated (<c>POST /api/v1/generations</c>); its file is used as it is.</summary>
    public Guid? GenerationId { get; init; }

    /// <summary>Required with an image; for a generation it defaults to the generation's prompt.</summary>
    [StringLength(PostSubmissions.MaxPromptLength, ErrorMessage = PostSubmissions.PromptRule)]
    [MultiLineText]
    public string? Prompt { get; init; }

    [StringLength(PostSubmissions.MaxPromptLength, ErrorMessage = PostSubmissions.NegativePromptRule)]
    [MultiLineText]
    public string? NegativePrompt { get; init; }

    [StringLength(PostSubmissions.MaxCaptionLength, ErrorMessage = PostSubmissions.CaptionRule)]
    [MultiLineText]
    public string? Caption { get; init; }

    [StringLength(PostSubmissions.MaxAltTextLength, ErrorMessage = PostSubmissions.AltTextRule)]
    [MultiLineText]
    public string? AltText { get; init; }

    /// <summary>Tags separated by commas or spaces; the caption's #tags are added to them.</summary>
    [StringLength(4000, ErrorMessage = PostTags.Rule)]
    public string? Tags { get; init; }

    public bool? Sensitive { get; init; }

    [StringLength(PostSubmissions.MaxContentWarningLength, ErrorMessage = PostSubmissions.ContentWarningRule)]
    public string? ContentWarning { get; init; }

    /// <summary>The post this one remixes; it must be one you can see.</summary>
    public Guid? RemixOf { get; init; }

    /// <summary>Who reads the prompt: public (default), followers or private. Everyone who sees the post sees its image.</summary>
    [AllowedValues("public", "followers", "private", null, ErrorMessage = PostSubmissions.PromptVisibilityRule)]
    public string? PromptVisibility { get; init; }

    /// <summary>false keeps this post out of training whatever your consent says; true or absent leaves it to your consent.</summary>
    public bool? AllowTraining { get; init; }
}

/// <summary>A change to a post's caption or alt text: a field left out stays as it is, an empty text clears it.</summary>
public sealed record PostEditRequest(
    [property: StringLength(PostSubmissions.MaxCaptionLength, ErrorMessage = PostSubmissions.CaptionRule)] [property: MultiLineText]
    string? Caption,
    [property: StringLength(PostSubmissions.MaxAltTextLength, ErrorMessage = PostSubmissions.AltTextRule)] [property: MultiLineText]
    string? AltText);

/// <summary>
/// One ancestor in a post's lineage: the post when you may see it; only its id and <c>deleted: true</c> when its author
/// deleted it; only its id and <c>unavailable: true</c> when it is not published or a block lies between you.
/// </summary>
public sealed record AncestorResponse(Guid Id, bool? Deleted, bool? Unavailable, PostResponse? Post);

/// <summary>The posts a post was remixed from, nearest first, up to the root.</summary>
public sealed record LineageResponse(IReadOnlyList<AncestorResponse> Ancestors);

/// <summary>A page of posts; <c>nextCursor</c> is null (present) on the last page.</summary>
public sealed record PostPageResponse(IReadOnlyList<PostResponse> Items, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

/// <summary>A caption and alt text as they were until <c>replacedAt</c>, when an edit replaced them.</summary>
public sealed record PostRevisionResponse(string? Caption, string? AltText, DateTimeOffset ReplacedAt);

/// <summary>Earlier versions of a post, latest first; <c>nextCursor</c> is null (present) on the last page.</summary>
public sealed record PostRevisionPageResponse(IReadOnlyList<PostRevisionResponse> Items, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

/// <summary>Posting an image with its prompt, and reading posts.</summary>
public static class PostsApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapPostsApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/posts").WithTags("Posts");
        // A file needs multipart; binding [FromForm] alone would also advertise (and take) url-encoded bodies.
        group.MapPost("", CreatePost).RequireAuthorization().DisableAntiforgery().Accepts<PostForm>("multipart/form-data")
            .WithDescription("Multipart form: 'image' (PNG, JPEG, WebP or GIF, at most 20 MB and 8192 px a side) and 'prompt', or 'generationId' " +
                             "(the prompt then defaults to the generation's); optional 'negativePrompt', 'caption', 'altText', 'tags', 'sensitive', " +
                             "'contentWarning', 'remixOf', 'promptVisibility' (public, followers, private) and 'allowTraining' (false opts this post out). " +
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
        group.MapPatch("/{id:guid}", EditPost).RequireAuthorization()
            .WithDescription("Changes the caption, the alt text or both; the earlier values are kept (GET /posts/{id}/edits). Author only.");
        group.MapDelete("/{id:guid}", DeletePost).RequireAuthorization()
            .WithDescription("Deletes your post, leaving a tombstone: it leaves every timeline and endpoint, its image is no longer served, " +
                             "lineage shows it as deleted. Deleting it again answers 204 too.");
        group.MapGet("/{id:guid}/lineage", GetLineage).WithDescription("The posts this one was remixed from, nearest first, up to the root.");
        group.MapGet("/{id:guid}/remixes", GetRemixes).WithDescription("The posts remixed directly from this one, newest first.");
        group.MapGet("/{id:guid}/edits", GetEdits)
            .WithDescription("Earlier captions and alt texts, latest first; shown to whoever may see the post, so no edit quietly changes what people answered.");
        return group;
    }

    private const int DefaultLimit = 20;
    private const string LimitRule = "limit must be between 1 and 100.";

    private static Guid? Viewer(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.AccountId() : null;

    private static NotFoundProblem NoSuchPost(Guid id) => new(CommonProblems.NotFound, $"There is no post {id}, or it is not published yet.");

    private static async Task<Results<Accepted<PostResponse>, BadRequestProblem, ConflictProblem, PayloadTooLargeProblem, UnsupportedMediaTypeProblem,
            UnprocessableProblem>>
        CreatePost([FromForm] PostForm form, [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey, ClaimsPrincipal user,
            HttpResponse response, PostSubmissions submissions, PostTraining training, CancellationToken cancellationToken)
    {
        await using var image = form.Image?.OpenReadStream();
        var draft = new PostDraft(form.Prompt, form.Caption)
        {
            GenerationId = form.GenerationId,
            NegativePrompt = form.NegativePrompt,
            AltText = form.AltText,
            Tags = form.Tags,
            Sensitive = form.Sensitive,
            ContentWarning = form.ContentWarning,
            RemixOf = form.RemixOf,
            PromptVisibility = form.PromptVisibility,
            AllowTraining = form.AllowTraining,
        };
        var submitted = await submissions.SubmitAsync(user.AccountId(), idempotencyKey, draft, image, cancellationToken);
        if (submitted.Refusal is { } refusal)
        {
            return refusal.Problem.Status switch
            {
                StatusCodes.Status409Conflict => new ConflictProblem(refusal),
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

        return TypedResults.Accepted($"/api/v1/posts/{post.Id}",
            post.ToResponse() with { Training = (await training.StateAsync(post, cancellationToken)).ToResponse() });
    }

    /// <summary>The author's own view also says what the post's training setting does (issue 11: "its effect is recorded").</summary>
    private static async Task<Results<Ok<PostResponse>, NotFoundProblem>> GetPost(Guid id, ClaimsPrincipal user, PostStore posts,
        PromptAudience audience, PostTraining training, CancellationToken cancellationToken)
    {
        var viewer = Viewer(user);
        if (await posts.GetVisibleAsync(id, viewer, cancellationToken) is not { } post)
        {
            return NoSuchPost(id);
        }

        var response = post.ToResponse(await audience.PromptShownAsync(viewer, post, cancellationToken));
        return TypedResults.Ok(viewer == post.Author.Id
            ? response with { Training = (await training.StateAsync(post, cancellationToken)).ToResponse() }
            : response);
    }

    private static async Task<Results<Ok<PostResponse>, BadRequestProblem, NotFoundProblem>> EditPost(Guid id, PostEditRequest request,
        ClaimsPrincipal user, PostEditor editor, CancellationToken cancellationToken)
    {
        var edited = await editor.EditAsync(user.AccountId(), id, new PostChange(request.Caption, request.AltText), cancellationToken);
        if (edited.Refusal is { } refusal)
        {
            return refusal.Problem.Status == StatusCodes.Status404NotFound ? new NotFoundProblem(refusal) : new BadRequestProblem(refusal);
        }

        return TypedResults.Ok(edited.Value.ToResponse());
    }

    private static async Task<Results<NoContent, NotFoundProblem>> DeletePost(Guid id, ClaimsPrincipal user, PostEditor editor,
        CancellationToken cancellationToken)
    {
        var deleted = await editor.DeleteAsync(user.AccountId(), id, cancellationToken);
        return deleted.Refusal is { } refusal ? new NotFoundProblem(refusal) : TypedResults.NoContent();
    }

    private static async Task<Results<Ok<LineageResponse>, NotFoundProblem>> GetLineage(Guid id, ClaimsPrincipal user, PostLineage lineage,
        PromptAudience audience, CancellationToken cancellationToken)
    {
        var viewer = Viewer(user);
        if (await lineage.AncestorsAsync(id, viewer, cancellationToken) is not { } ancestors)
        {
            return NoSuchPost(id);
        }

        var shown = await audience.PromptsShownAsync(viewer, ancestors.Where(a => a.Post is not null).Select(a => a.Post!), cancellationToken);
        return TypedResults.Ok(new LineageResponse(ancestors.Select(a => a.State switch
        {
            AncestorState.Visible => new AncestorResponse(a.Id, null, null, a.Post!.ToResponse(shown.Contains(a.Id))),
            AncestorState.Deleted => new AncestorResponse(a.Id, true, null, null),
            _ => new AncestorResponse(a.Id, null, true, null),
        }).ToList()));
    }

    private static async Task<Results<Ok<PostPageResponse>, BadRequestProblem, NotFoundProblem>> GetRemixes(Guid id, ClaimsPrincipal user,
        [Range(1, PostStore.MaxPageSize, ErrorMessage = LimitRule)] int? limit, string? cursor, PostLineage lineage, PromptAudience audience,
        CancellationToken cancellationToken)
    {
        var after = PostCursor.Decode(cursor);
        if (after.Refusal is { } refusal)
        {
            return new BadRequestProblem(refusal);
        }

        var viewer = Viewer(user);
        if (await lineage.RemixesAsync(id, viewer, after.Value, limit ?? DefaultLimit, cancellationToken) is not { } page)
        {
            return NoSuchPost(id);
        }

        var shown = await audience.PromptsShownAsync(viewer, page.Items, cancellationToken);
        return TypedResults.Ok(new PostPageResponse(page.Items.Select(p => p.ToResponse(shown.Contains(p.Id))).ToList(), page.NextCursor));
    }

    private static async Task<Results<Ok<PostRevisionPageResponse>, BadRequestProblem, NotFoundProblem>> GetEdits(Guid id, ClaimsPrincipal user,
        [Range(1, PostStore.MaxPageSize, ErrorMessage = LimitRule)] int? limit, string? cursor, PostEditor editor, CancellationToken cancellationToken)
    {
        var revisions = await editor.RevisionsAsync(id, Viewer(user), cursor, limit ?? DefaultLimit, cancellationToken);
        if (revisions.Refusal is { } refusal)
        {
            return new BadRequestProblem(refusal);
        }

        return revisions.Value is { } page
            ? TypedResults.Ok(new PostRevisionPageResponse(page.Items.Select(r => new PostRevisionResponse(r.Caption, r.AltText, r.ReplacedAt)).ToList(),
                page.NextCursor))
            : NoSuchPost(id);
    }
}
