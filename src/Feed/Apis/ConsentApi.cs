using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Consent;
using AiSocial.Problems;
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

/// <summary>One ledger event: <c>hash</c> covers <c>previousHash</c> and the event (see <c>./aisocial consent verify</c>).</summary>
public sealed record ConsentEventResponse(long Id, string Purpose, bool Granted, string TermsVersion, DateTimeOffset At, string Source,
    string? PreviousHash, string Hash);

/// <summary>A purpose's current state: the latest event for it (<c>eventId</c>), since when it holds.</summary>
public sealed record PurposeConsentResponse(string Purpose, bool Granted, string TermsVersion, DateTimeOffset Since, long EventId);

/// <summary>
/// The person's consent now. <c>needsAcceptance</c>: they never answered, or granted a purpose under terms older than
/// the current ones — ask them again; until they accept, such a grant covers only posts made before the newer terms.
/// </summary>
public sealed record ConsentStateResponse(string? CurrentTermsVersion, string? TermsUrl, bool NeedsAcceptance,
    IReadOnlyList<PurposeConsentResponse> Purposes);

public sealed record TermsResponse(string Version, DateTimeOffset EffectiveAt, string Text, string Url);

public sealed record TermsSummaryResponse(string Version, DateTimeOffset EffectiveAt, string Url);

public sealed record TermsListResponse(string? Current, IReadOnlyList<TermsSummaryResponse> Versions);

/// <summary>Whether a person's posts may be used for training and the like, kept as a hash-chained, append-only ledger.</summary>
public static class ConsentApi
{
    public static RouteGroupBuilder MapConsentApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/me/consent").WithTags("Consent").RequireAuthorization();
        group.MapGet("", GetCurrent);
        group.MapPut("", Record);
        group.MapGet("/history", GetHistory);

        var terms = api.MapGroup("/terms").WithTags("Consent");
        terms.MapGet("", ListTerms);
        terms.MapGet("/{version}", GetTerms);
        return group;
    }

    public static string TermsUrl(string version) => $"/api/v1/terms/{Uri.EscapeDataString(version)}";

    private static async Task<Ok<ConsentStateResponse>> GetCurrent(ClaimsPrincipal user, ConsentLedger ledger, TermsCatalog catalog,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var current = await ledger.CurrentAsync(user.AccountId(), cancellationToken);
        var terms = await catalog.ListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var currentTerms = ConsentCoverage.Current(terms, now);
        return TypedResults.Ok(new ConsentStateResponse(currentTerms?.Version, currentTerms is null ? null : TermsUrl(currentTerms.Version),
            ConsentCoverage.NeedsAcceptance(current, terms, now),
            current.Select(e => new PurposeConsentResponse(e.Purpose, e.Granted, e.TermsVersion, e.OccurredAt, e.Id)).ToList()));
    }

    /// <summary>Grants or withdraws one purpose: the same call either way, one new ledger event (audited, source <c>api</c>).</summary>
    private static async Task<Results<Ok<ConsentEventResponse>, BadRequestProblem>> Record(ConsentRequest request, ClaimsPrincipal user, HttpContext http,
        ConsentLedger ledger, CancellationToken cancellationToken)
    {
        var recorded = await ledger.RecordAsync(user.ToActor(), user.AccountId(),
            new ConsentChange(request.Purpose, request.Granted, request.TermsVersion),
            ConsentSource.Api(http.Connection.RemoteIpAddress?.ToString()), cancellationToken);
        return recorded.Refusal is { } refusal ? new BadRequestProblem(refusal) : TypedResults.Ok(ToResponse(recorded.Value));
    }

    private static async Task<Ok<IReadOnlyList<ConsentEventResponse>>> GetHistory(ClaimsPrincipal user, ConsentLedger ledger, CancellationToken cancellationToken)
    {
        var history = await ledger.HistoryAsync(user.AccountId(), cancellationToken);
        return TypedResults.Ok<IReadOnlyList<ConsentEventResponse>>(history.Select(ToResponse).ToList());
    }

    private static async Task<Ok<TermsListResponse>> ListTerms(TermsCatalog catalog, TimeProvider time, CancellationToken cancellationToken)
    {
        var terms = await catalog.ListAsync(cancellationToken);
        return TypedResults.Ok(new TermsListResponse(ConsentCoverage.Current(terms, time.GetUtcNow())?.Version,
            terms.Select(t => new TermsSummaryResponse(t.Version, t.EffectiveAt, TermsUrl(t.Version))).ToList()));
    }

    /// <summary>The text of a published terms version, as the person was shown it.</summary>
    private static async Task<Results<Ok<TermsResponse>, NotFoundProblem>> GetTerms(string version, TermsCatalog catalog, CancellationToken cancellationToken)
    {
        var terms = version.Length <= ConsentLedger.MaxTermsVersionLength ? await catalog.GetAsync(version, cancellationToken) : null;
        return terms is null
            ? new NotFoundProblem(CommonProblems.NotFound, "The platform never published terms with that version.")
            : TypedResults.Ok(new TermsResponse(terms.Version, terms.EffectiveAt, terms.Text, TermsUrl(terms.Version)));
    }

    private static ConsentEventResponse ToResponse(ConsentEvent e) =>
        new(e.Id, e.Purpose, e.Granted, e.TermsVersion, e.OccurredAt, e.SourceKind, e.PreviousHash, e.Hash);
}
