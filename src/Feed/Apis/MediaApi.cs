using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Media;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace AiSocial.Feed.Apis;

/// <summary>
/// Images by SHA-256, and their 512 px WebP thumbnails; unpublished media is the author's only. The stored original
/// never changes, but what is served carries XMP that says it is AI-made (<c>Iptc4xmpExt:DigitalSourceType</c>) and
/// whether it may be used for AI training (<c>plus:DataMining</c>: DMI-ALLOWED only while everyone it is shown for
/// consents to <c>cawg.ai_training</c>, else DMI-PROHIBITED-AIMLTRAINING), with a TDMRep <c>tdm-reservation</c>
/// header to match (1 reserves the rights, 0 does not).
/// </summary>
public static class MediaApi
{
    public const string TdmReservationHeader = "tdm-reservation";

    public static RouteGroupBuilder MapMediaApi(this IEndpointRouteBuilder endpoints)
    {
        var media = endpoints.MapGroup("/media").WithTags("Media");
        media.MapGet("/{sha256}", GetMedia)
            .Produces(StatusCodes.Status200OK, contentType: "image/png", additionalContentTypes: ["image/jpeg", "image/webp", "image/gif"]);
        media.MapGet("/{sha256}/thumb", GetThumbnail)
            .Produces(StatusCodes.Status200OK, contentType: "image/webp");
        return media;
    }

    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, NotFoundProblem>> GetMedia(string sha256, ClaimsPrincipal user,
        HttpContext http, MediaAccess access, MediaStore store, CancellationToken cancellationToken)
    {
        Guid? viewer = user.Identity?.IsAuthenticated == true ? user.AccountId() : null;
        var (media, visibility) = await access.ResolveAsync(sha256, viewer, cancellationToken);
        if (media is null || !store.Exists(media.Sha256))
        {
            return new NotFoundProblem(CommonProblems.NotFound, "No published image has that hash.");
        }

        return await ServeAsync(http, access, media.Sha256, visibility, "", media.ContentType,
            () => store.ReadAllBytesAsync(media.Sha256, cancellationToken), cancellationToken);
    }

    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, NotFoundProblem>> GetThumbnail(string sha256, ClaimsPrincipal user,
        HttpContext http, MediaAccess access, MediaStore store, CancellationToken cancellationToken)
    {
        Guid? viewer = user.Identity?.IsAuthenticated == true ? user.AccountId() : null;
        var (media, visibility) = await access.ResolveAsync(sha256, viewer, cancellationToken);
        if (media is null || await store.OpenThumbnailAsync(media.Sha256, cancellationToken) is not { } thumbnail)
        {
            return new NotFoundProblem(CommonProblems.NotFound, "No published image has that hash.");
        }

        return await ServeAsync(http, access, media.Sha256, visibility, ".thumb", "image/webp", async () =>
        {
            await using (thumbnail)
            {
                using var bytes = new MemoryStream();
                await thumbnail.CopyToAsync(bytes, cancellationToken);
                return bytes.ToArray();
            }
        }, cancellationToken);
    }

    /// <summary>
    /// The stored bytes with the served XMP put in, or 304 when the client already has them. The ETag names the image
    /// and the consent it was served under, so it changes when the author withdraws (or grants). The URL does not
    /// change, so caches must not keep a response on their own: public media is <c>no-cache</c> (stored, but checked
    /// with the server on every use, which answers 304 until the consent changes) rather than immutable, so a
    /// withdrawal reaches every cache at its next use.
    /// </summary>
    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, NotFoundProblem>> ServeAsync(HttpContext http, MediaAccess access,
        string sha256, MediaVisibility visibility, string variant, string contentType, Func<Task<byte[]>> readStored, CancellationToken cancellationToken)
    {
        var allowed = await access.TrainingAllowedAsync(sha256, cancellationToken);
        var entityTag = new EntityTagHeaderValue($"\"{sha256}{variant}.{(allowed ? "dmi-allowed" : "dmi-prohibited")}\"");
        var response = http.Response;
        response.Headers.CacheControl = visibility == MediaVisibility.Public ? "public, no-cache" : "private, no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers[TdmReservationHeader] = allowed ? "0" : "1";
        if (http.Request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } ifNoneMatch
            && ifNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(entityTag, useStrongComparison: false)))
        {
            // Answered before the file is read: revalidating a cached image costs one query.
            response.Headers.ETag = entityTag.ToString();
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var stored = await readStored();
        var dataMining = allowed ? XmpEmbedding.DataMiningAllowed : XmpEmbedding.DataMiningProhibitedAiTraining;
        var served = XmpEmbedding.Replace(stored, XmpEmbedding.ServedPacket(stored, dataMining));
        return TypedResults.File(served, contentType, entityTag: entityTag, enableRangeProcessing: true);
    }
}
