using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Media;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace AiSocial.Feed.Apis;

/// <summary>
/// Images by SHA-256, and their 512 px WebP thumbnails. Published media is public and cached forever (content never
/// changes; a conditional GET with the ETag gets 304); unpublished is the author's only.
/// </summary>
public static class MediaApi
{
    public static RouteGroupBuilder MapMediaApi(this IEndpointRouteBuilder endpoints)
    {
        var media = endpoints.MapGroup("/media").WithTags("Media");
        media.MapGet("/{sha256}", GetMedia)
            .Produces(StatusCodes.Status200OK, contentType: "image/png", additionalContentTypes: ["image/jpeg", "image/webp", "image/gif"]);
        media.MapGet("/{sha256}/thumb", GetThumbnail)
            .Produces(StatusCodes.Status200OK, contentType: "image/webp");
        return media;
    }

    private static async Task<Results<FileStreamHttpResult, NotFoundProblem>> GetMedia(string sha256, ClaimsPrincipal user, HttpResponse response,
        MediaAccess access, MediaStore store, CancellationToken cancellationToken)
    {
        Guid? viewer = user.Identity?.IsAuthenticated == true ? user.AccountId() : null;
        var (media, visibility) = await access.ResolveAsync(sha256, viewer, cancellationToken);
        if (media is null || !store.Exists(media.Sha256))
        {
            return new NotFoundProblem(CommonProblems.NotFound, "No published image has that hash.");
        }

        SetCaching(response, visibility);
        return TypedResults.File(store.OpenRead(media.Sha256), media.ContentType, entityTag: new EntityTagHeaderValue($"\"{media.Sha256}\""),
            enableRangeProcessing: true);
    }

    private static async Task<Results<FileStreamHttpResult, NotFoundProblem>> GetThumbnail(string sha256, ClaimsPrincipal user, HttpResponse response,
        MediaAccess access, MediaStore store, CancellationToken cancellationToken)
    {
        Guid? viewer = user.Identity?.IsAuthenticated == true ? user.AccountId() : null;
        var (media, visibility) = await access.ResolveAsync(sha256, viewer, cancellationToken);
        if (media is null || await store.OpenThumbnailAsync(media.Sha256, cancellationToken) is not { } thumbnail)
        {
            return new NotFoundProblem(CommonProblems.NotFound, "No published image has that hash.");
        }

        SetCaching(response, visibility);
        return TypedResults.File(thumbnail, "image/webp", entityTag: new EntityTagHeaderValue($"\"{media.Sha256}.thumb\""));
    }

    private static void SetCaching(HttpResponse response, MediaVisibility visibility)
    {
        response.Headers.CacheControl = visibility == MediaVisibility.Public ? "public, max-age=31536000, immutable" : "private, no-store";
        response.Headers.XContentTypeOptions = "nosniff";
    }
}
