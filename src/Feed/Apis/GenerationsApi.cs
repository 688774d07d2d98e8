using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Json;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Generations;
using AiSocial.Moderation.Prompts;
using AiSocial.Problems;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiSocial.Feed.Apis;

/// <summary>A request for an image: <c>size</c> is WIDTHxHEIGHT from the allowed list, <c>seed</c> is drawn when left out.</summary>
public sealed record NewGeneration(
    [Required(ErrorMessage = ImageGenerations.PromptRule), StringLength(ImageGenerations.MaxPromptLength, ErrorMessage = ImageGenerations.PromptRule)]
    [MultiLineText]
    string? Prompt,
    [StringLength(ImageGenerations.MaxPromptLength, ErrorMessage = ImageGenerations.NegativePromptRule)]
    [MultiLineText]
    string? NegativePrompt,
    string? Size,
    string? Model,
    [Range(0, long.MaxValue, ErrorMessage = ImageGenerations.SeedRule)] long? Seed);

/// <summary>
/// An image the server generated. <c>generator</c> is <c>openai</c> or <c>offline-renderer</c> (the offline renderer
/// draws shapes from the prompt and seed; it is no model). <c>parameters</c> says what the generator ran with, for
/// example whether it applied the seed. <c>warnings</c> (on the answer to <c>POST</c> only, when there are any) says what
/// the prompt gate changed: a creator's name cut out of the prompt, which is then the prompt stored and generated from.
/// </summary>
public sealed record ImageGenerationResponse(
    Guid Id, string ImageUrl, string Prompt, string? NegativePrompt, string Generator, string Model, string Size, long Seed,
    JsonElement Parameters, string? RevisedPrompt, int Width, int Height, DateTimeOffset CreatedAt)
{
    public IReadOnlyList<PromptWarning>? Warnings { get; init; }
}

/// <summary>Generating images from prompts: the prompt gate first, then the account's quota, the generator, storage and the record.</summary>
public static class GenerationsApi
{
    public static RouteGroupBuilder MapGenerationsApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/generations").WithTags("Generations").RequireAuthorization();
        group.MapPost("", Create)
            .WithDescription("Generates an image from a prompt. The prompt (and negative prompt) pass the prompt gate first; a refusal is a 422 " +
                             "'prompt_refused' naming the check, rule and matched term; a verified creator opt-out set to 'strip' instead cuts the " +
                             "name out, generates from what is left and says so in 'warnings'; a configured outside check (Content Safety) that cannot " +
                             "answer is a 503 'prompt-check-unavailable' with Retry-After. Counted against a daily quota (429 with Retry-After); " +
                             "a generator that refuses, fails, is busy or times out stores and counts nothing.");
        group.MapGet("/{id:guid}", Get).WithDescription("A generation, to the account that made it (404 to anyone else).");
        return group;
    }

    private static async Task<Results<Created<ImageGenerationResponse>, BadRequestProblem, UnprocessableProblem, TooManyRequestsProblem, UpstreamProblem>>
        Create(NewGeneration body, ClaimsPrincipal user, ImageGenerations generations, PromptGate gate, CancellationToken cancellationToken)
    {
        var checkedRequest = generations.Check(new GenerationDraft(body.Prompt, body.NegativePrompt, body.Size, body.Model, body.Seed));
        if (checkedRequest.Refusal is { } invalid)
        {
            return new BadRequestProblem(invalid);
        }

        var request = checkedRequest.Value;
        var accountId = user.AccountId();
        var gated = await gate.CheckAsync(new PromptSubject(accountId, request.Prompt, request.NegativePrompt), cancellationToken);
        if (gated.Refusal is { } refused)
        {
            // A configured prompt check that could not run refuses with a 503 to retry, never lets the prompt through.
            return refused.Problem.Status == StatusCodes.Status422UnprocessableEntity ? new UnprocessableProblem(refused) : new UpstreamProblem(refused);
        }

        // What the gate let through is what is generated and stored: a name it cut out is gone from both.
        request = request with { Prompt = gated.Subject.Prompt, NegativePrompt = gated.Subject.NegativePrompt };
        var generated = await generations.GenerateAsync(accountId, request, cancellationToken);
        if (generated.Refusal is { } refusal)
        {
            return refusal.Problem.Status switch
            {
                StatusCodes.Status422UnprocessableEntity => new UnprocessableProblem(refusal),
                StatusCodes.Status429TooManyRequests => new TooManyRequestsProblem(refusal),
                StatusCodes.Status400BadRequest => new BadRequestProblem(refusal),
                _ => new UpstreamProblem(refusal),
            };
        }

        var generation = generated.Value;
        return TypedResults.Created($"/api/v1/generations/{generation.Id}",
            generation.ToResponse() with { Warnings = gated.Warnings.Count > 0 ? gated.Warnings : null });
    }

    private static async Task<Results<Ok<ImageGenerationResponse>, NotFoundProblem>> Get(Guid id, ClaimsPrincipal user, ImageGenerations generations,
        CancellationToken cancellationToken) =>
        await generations.GetOwnAsync(id, user.AccountId(), cancellationToken) is { } generation
            ? TypedResults.Ok(generation.ToResponse())
            : new NotFoundProblem(CommonProblems.NotFound, $"You have no generation {id}.");

    private static ImageGenerationResponse ToResponse(this Generation generation) => new(
        generation.Id, $"/media/{generation.MediaSha256}", generation.Prompt, generation.NegativePrompt, generation.Generator, generation.Model,
        generation.Size, generation.Seed, JsonDocument.Parse(generation.Parameters).RootElement.Clone(), generation.RevisedPrompt, generation.Width,
        generation.Height, generation.CreatedAt);
}
