using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Creators;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AiSocial.Feed.Apis;

/// <summary>A name, alias or style phrase to opt out: <c>enforcement</c> is refuse (default) or strip.</summary>
public sealed record NewOptOut(
    [Required(ErrorMessage = CreatorOptOuts.KindRule), AllowedValues("name", "alias", "style", "work", ErrorMessage = CreatorOptOuts.KindRule)]
    string? Kind,
    [Required(ErrorMessage = CreatorOptOuts.ValueRule), StringLength(CreatorOptOuts.MaxValueLength, ErrorMessage = CreatorOptOuts.ValueRule)]
    string? Value,
    [AllowedValues("refuse", "strip", null, ErrorMessage = CreatorOptOuts.EnforcementRule)]
    string? Enforcement);

/// <summary>A work to opt out, as multipart/form-data: <c>kind=work</c>, the <c>image</c> file and optionally a <c>value</c> (its title; else the file name).</summary>
public sealed record OptOutWorkForm
{
    [Required(ErrorMessage = "kind must be work in a multipart request; send names, aliases and styles as JSON.")]
    [AllowedValues("work", ErrorMessage = "kind must be work in a multipart request; send names, aliases and styles as JSON.")]
    public string? Kind { get; init; }

    public IFormFile? Image { get; init; }

    [StringLength(CreatorOptOuts.MaxValueLength, ErrorMessage = "value (the work's title) may be at most 200 characters.")]
    public string? Value { get; init; }

    public string? Enforcement { get; init; }
}

/// <summary>An opt-out as its creator sees it. <c>status</c> is pending until staff verify (or reject) it; only verified ones are enforced.</summary>
public sealed record OptOutResponse(Guid Id, string Kind, string Value, string Status, string Enforcement, DateTimeOffset CreatedAt);

/// <summary>
/// Creators' opt-outs: any signed-in account may register names, aliases, style phrases and works (the platform does
/// not ask for the <c>creator</c> role; staff verification is what makes a claim count) and sees and removes only its own.
/// </summary>
public static class OptOutsApi
{
    public static RouteGroupBuilder MapOptOutsApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/me/optouts").WithTags("Creator opt-outs").RequireAuthorization();
        group.MapGet("", List).WithDescription("Your opt-outs that are not removed, newest first.");
        group.MapPost("", Register)
            .WithDescription("Registers a name, alias or style phrase (JSON: kind, value, enforcement refuse|strip). It is pending until staff verify it; " +
                             "verified, prompts naming it are refused (or, with strip, generated with it cut out and a warning), posts with it are " +
                             "held for review, and exports leave them out.");
        group.MapPost("", RegisterWork).DisableAntiforgery().Accepts<OptOutWorkForm>("multipart/form-data")
            .WithName("RegisterWorkOptOut")
            .WithDescription("Registers a work (multipart: kind=work, 'image' PNG, JPEG, WebP or GIF checked like uploads, optional 'value' title). " +
                             "Only the image's eight dihedral PDQ hashes are kept, so rotated, mirrored and re-encoded copies still match.");
        group.MapDelete("/{id:guid}", Remove).WithDescription("Removes one of your opt-outs; it is no longer enforced. Another account's is not found (404).");
        return group;
    }

    private static async Task<Ok<IReadOnlyList<OptOutResponse>>> List(ClaimsPrincipal user, CreatorOptOuts optOuts, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<OptOutResponse>>([.. (await optOuts.ListOwnAsync(user.AccountId(), cancellationToken)).Select(ToResponse)]);

    private static async Task<Results<Created<OptOutResponse>, BadRequestProblem, ConflictProblem>> Register(NewOptOut body, ClaimsPrincipal user,
        CreatorOptOuts optOuts, CancellationToken cancellationToken)
    {
        var registered = await optOuts.RegisterAsync(user.ToActor(), user.AccountId(), new OptOutDraft(body.Kind, body.Value, body.Enforcement),
            cancellationToken);
        if (registered.Refusal is { } refusal)
        {
            return refusal.Problem.Status == StatusCodes.Status409Conflict ? new ConflictProblem(refusal) : new BadRequestProblem(refusal);
        }

        return TypedResults.Created($"/api/v1/me/optouts/{registered.Value.Id}", ToResponse(registered.Value));
    }

    private static async Task<Results<Created<OptOutResponse>, BadRequestProblem, PayloadTooLargeProblem, UnsupportedMediaTypeProblem, UnprocessableProblem>>
        RegisterWork([FromForm] OptOutWorkForm form, ClaimsPrincipal user, CreatorOptOuts optOuts, CancellationToken cancellationToken)
    {
        await using var image = form.Image?.OpenReadStream();
        var registered = await optOuts.RegisterWorkAsync(user.ToActor(), user.AccountId(),
            string.IsNullOrWhiteSpace(form.Value) ? form.Image?.FileName : form.Value, form.Enforcement, image, cancellationToken);
        if (registered.Refusal is { } refusal)
        {
            return refusal.Problem.Status switch
            {
                StatusCodes.Status413PayloadTooLarge => new PayloadTooLargeProblem(refusal),
                StatusCodes.Status415UnsupportedMediaType => new UnsupportedMediaTypeProblem(refusal),
                StatusCodes.Status422UnprocessableEntity => new UnprocessableProblem(refusal),
                _ => new BadRequestProblem(refusal),
            };
        }

        return TypedResults.Created($"/api/v1/me/optouts/{registered.Value.Id}", ToResponse(registered.Value));
    }

    private static async Task<Results<NoContent, NotFoundProblem>> Remove(Guid id, ClaimsPrincipal user, CreatorOptOuts optOuts,
        CancellationToken cancellationToken)
    {
        var removed = await optOuts.RemoveOwnAsync(user.ToActor(), user.AccountId(), id, cancellationToken);
        return removed.Refusal is { } refusal ? new NotFoundProblem(refusal) : TypedResults.NoContent();
    }

    private static OptOutResponse ToResponse(CreatorOptOut o) => new(o.Id, o.Kind, o.Value, o.Status, o.Enforcement, o.CreatedAt);
}
