using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Consent;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

public sealed record ConsentRequest(
    [Required(ErrorMessage = ConsentPurposes.Rule),
     AllowedValues(ConsentPurposes.DataMining, ConsentPurposes.AiInference, ConsentPurposes.AiTraining, ConsentPurposes.AiGenerativeTraining,
         ErrorMessage = ConsentPurposes.Rule)]
    string? Purpose,
    [Required(ErrorMessage = "Say whether consent is granted (true) or withdrawn (false).")] bool? Granted,
    [Required(ErrorMessage = ConsentLedger.TermsVersionRule), StringLength(ConsentLedger.MaxTermsVersionLength, ErrorMessage = ConsentLedger.TermsVersionRule)]
    string? TermsVersion);

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

    private static async Task<Results<Ok<ConsentResponse>, BadRequestProblem>> Record(ConsentRequest request, ClaimsPrincipal user, HttpContext http,
        ConsentLedger ledger, CancellationToken cancellationToken)
    {
        var source = $"api {http.Connection.RemoteIpAddress} {http.Request.Headers.UserAgent}".Trim();
        var recorded = await ledger.RecordAsync(user.ToActor(), user.AccountId(),
            new ConsentChange(request.Purpose, request.Granted, request.TermsVersion), source.Length > 300 ? source[..300] : source, cancellationToken);
        return recorded.Refusal is { } refusal ? new BadRequestProblem(refusal) : TypedResults.Ok(ToResponse(recorded.Value));
    }

    private static async Task<Ok<IReadOnlyList<ConsentResponse>>> GetHistory(ClaimsPrincipal user, ConsentLedger ledger, CancellationToken cancellationToken)
    {
        var history = await ledger.HistoryAsync(user.AccountId(), cancellationToken);
        return TypedResults.Ok<IReadOnlyList<ConsentResponse>>(history.Select(ToResponse).ToList());
    }

    private static ConsentResponse ToResponse(ConsentEvent e) => new(e.Id, e.Purpose, e.Granted, e.TermsVersion, e.OccurredAt);
}
