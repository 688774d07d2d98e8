using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Media;
using AiSocial.Moderation.Protections;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace AiSocial.AdminConsole.Media;

/// <summary>
/// Any stored image, for signed-in staff only (reviewers must see what is not public yet), except one waiting in the
/// minor-safety queue, served only to a reviewer who asked to see it. Never cached by shared caches.
/// </summary>
public static class StaffMediaEndpoint
{
    public static IEndpointRouteBuilder MapStaffMedia(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/media/{sha256}", GetMedia).RequireAuthorization(ConsolePolicies.Staff).ExcludeFromDescription();
        return endpoints;
    }

    private static async Task<Results<FileStreamHttpResult, NotFoundProblem, ForbiddenProblem>> GetMedia(string sha256, ClaimsPrincipal user,
        HttpResponse response, MediaAccess access, MediaStore store, ImageReveals reveals, CancellationToken cancellationToken)
    {
        if (await access.FindAsync(sha256, cancellationToken) is not { } media || !store.Exists(sha256))
        {
            return new NotFoundProblem(CommonProblems.NotFound, "No stored image has that hash.");
        }

        if (!await reveals.MayViewAsync(user.AccountId(), sha256, cancellationToken))
        {
            return new ForbiddenProblem(CommonProblems.Forbidden,
                "This image belongs to a post in the minor-safety queue: ask to see it from the review task, saying why, first.");
        }

        response.Headers.CacheControl = "private, max-age=3600";
        response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.File(store.OpenRead(sha256), media.ContentType, entityTag: new EntityTagHeaderValue($"\"{sha256}\""));
    }
}
