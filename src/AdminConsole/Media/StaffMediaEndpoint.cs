using AiSocial.Ingest.Media;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace AiSocial.AdminConsole.Media;

/// <summary>Any stored image, for signed-in staff only (reviewers must see what is not public yet). Never cached by shared caches.</summary>
public static class StaffMediaEndpoint
{
    public static IEndpointRouteBuilder MapStaffMedia(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/media/{sha256}", GetMedia).RequireAuthorization(ConsolePolicies.Staff).ExcludeFromDescription();
        return endpoints;
    }

    private static async Task<Results<FileStreamHttpResult, NotFoundProblem>> GetMedia(string sha256, HttpResponse response, MediaAccess access,
        MediaStore store, CancellationToken cancellationToken)
    {
        if (await access.FindAsync(sha256, cancellationToken) is not { } media || !store.Exists(sha256))
        {
            return new NotFoundProblem(CommonProblems.NotFound, "No stored image has that hash.");
        }

        response.Headers.CacheControl = "private, max-age=3600";
        response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.File(store.OpenRead(sha256), media.ContentType, entityTag: new EntityTagHeaderValue($"\"{sha256}\""));
    }
}
