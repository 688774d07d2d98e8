using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Consent;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

public sealed record ConsentRequest(string? Purpose, bool? Granted, string? TermsVersion);

public sealed record ConsentResponse(long Id, string Purpose, bool Granted, string TermsVersion, DateTimeOffset At);

public sealed record ConsentStateResponse(IReadOnlyList<ConsentResponse> Purposes);

/// <summary>Whether a person's posts may be used for training and the like, kept as an append-only ledger.</summary>
public static class ConsentApi
{
    public static RouteGroupBuilder MapConsentApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/me/consent").WithTags("Consent").RequireAuthorization();
        group.MapGet("", GetCurrent);
        group.MapPut("", Record);
        group.MapGet("/history", GetHistory);
        return group;
    }

    private static async Task<Ok<ConsentStateResponse>> GetCurrent(ClaimsPrincipal user, ConsentLedger ledger, CancellationToken cancellationToken)
    {
        var current = await ledger.CurrentAsync(user.AccountId(), cancellationToken);
        return TypedResults.Ok(new ConsentStateResponse(current.Select(ToResponse).ToList()));
    }

    private static async Task<Ok<ConsentResponse>> Record(ConsentRequest request, ClaimsPrincipal user, HttpContext http, ConsentLedger ledger,
        CancellationToken cancellationToken)
    {
        var source = $"api {http.Connection.RemoteIpAddress} {http.Request.Headers.UserAgent}".Trim();
        var recorded = await ledger.RecordAsync(user.ToActor(), user.AccountId(),
            new ConsentChange(request.Purpose, request.Granted, request.TermsVersion), source.Length > 300 ? source[..300] : source, cancellationToken);
        return TypedResults.Ok(ToResponse(recorded));
    }

    private static async Task<Ok<IReadOnlyList<ConsentResponse>>> GetHistory(ClaimsPrincipal user, ConsentLedger ledger, CancellationToken cancellationToken)
    {
        var history = await ledger.HistoryAsync(user.AccountId(), cancellationToken);
        return TypedResults.Ok<IReadOnlyList<ConsentResponse>>(history.Select(ToResponse).ToList());
    }

    private static ConsentResponse ToResponse(ConsentEvent e) => new(e.Id, e.Purpose, e.Granted, e.TermsVersion, e.OccurredAt);
}
