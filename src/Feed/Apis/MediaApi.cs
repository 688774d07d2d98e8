using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Media;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace AiSocial.Feed.Apis;

/// <summary>Images by SHA-256. Published media is public and cached forever (content never changes); unpublished is the author's only.</summary>
public static class MediaApi
{
    public static RouteHandlerBuilder MapMediaApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/media/{sha256}", GetMedia).WithTags("Media")
            .Produces(StatusCodes.Status200OK, contentType: "image/png", additionalContentTypes: ["image/jpeg", "image/webp", "image/gif"]);

    private static async Task<Results<FileStreamHttpResult, NotFoundProblem>> GetMedia(string sha256, ClaimsPrincipal user, HttpResponse response,
        MediaAccess access, MediaStore store, CancellationToken cancellationToken)
    {
        Guid? viewer = user.Identity?.IsAuthenticated == true ? user.AccountId() : null;
        var (media, visibility) = await access.ResolveAsync(sha256, viewer, cancellationToken);
        if (media is null || !store.Exists(media.Sha256))
        {
            return new NotFoundProblem(CommonProblems.NotFound, "No published image has that hash.");
        }

        response.Headers.CacheControl = visibility == MediaVisibility.Public ? "public, max-age=31536000, immutable" : "private, no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.File(store.OpenRead(media.Sha256), media.ContentType, entityTag: new EntityTagHeaderValue($"\"{media.Sha256}\""),
            enableRangeProcessing: true);
    }
}
