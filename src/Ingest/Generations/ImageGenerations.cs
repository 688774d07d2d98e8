using System.Security.Cryptography;
using System.Text.Json;
using AiSocial.Ingest.Media;
using AiSocial.Problems;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Ingest.Generations;

/// <summary>What a person asked for, as sent.</summary>
public sealed record GenerationDraft(string? Prompt, string? NegativePrompt, string? Size, string? Model, long? Seed);

/// <summary>A checked request: model and size chosen, the seed drawn when none was given.</summary>
public sealed record GenerationRequest(string Prompt, string? NegativePrompt, string Model, string Size, long Seed);

/// <summary>An image the server made, as <c>ingest.generations</c> records it. <see cref="Parameters"/> is a JSON object.</summary>
public sealed record Generation(
    Guid Id, Guid AccountId, string Prompt, string? NegativePrompt, string Generator, string Model, string Size, long Seed,
    string Parameters, string? RevisedPrompt, string MediaSha256, int Width, int Height, DateTimeOffset CreatedAt);

/// <summary>
/// Makes images from prompts for an account and records them: checks the request, takes one unit of the account's quota
/// (atomically, so concurrent requests cannot exceed it), runs the configured generator, stores the picture
/// content-addressed as a PNG carrying its provenance, and records model, size, seed, parameters and any revised
/// prompt. A refused or failed generation stores nothing and gives its quota back. The prompt gate is the caller's to
/// run first (it belongs to moderation, which this module does not know).
/// </summary>
public sealed class ImageGenerations
{
    public const int MaxPromptLength = 2000;
    public const string PromptRule = "The prompt is required, at most 2000 characters: say what to draw.";
    public const string NegativePromptRule = "The negative prompt may be at most 2000 characters.";
    public const string SeedRule = "The seed must be a whole number from 0 to 9223372036854775807.";

    // Quota is counted over a sliding day; a reservation outlives the generator's timeout by this much.
    private static readonly TimeSpan Window = TimeSpan.FromDays(1);
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromMinutes(1);
    // "GENR": this module's space of advisory locks, one per account.
    private const int LockSpace = 0x47454E52;
    // Drawn seeds stay below 2^53, so a JavaScript client reads them back exactly.
    private const long MaxDrawnSeed = 1L << 53;

    private readonly NpgsqlDataSource _dataSource;
    private readonly IImageGenerator _generator;
    private readonly MediaStore _media;
    private readonly ImageInspector _inspector;
    private readonly GenerationOptions _options;
    private readonly ILogger<ImageGenerations> _logger;

    internal ImageGenerations(NpgsqlDataSource dataSource, IImageGenerator generator, MediaStore media, ImageInspector inspector, IOptions<GenerationOptions> options,
        ILogger<ImageGenerations> logger)
    {
        _dataSource = dataSource;
        _generator = generator;
        _media = media;
        _inspector = inspector;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The request made complete, or a validation refusal naming every invalid field.</summary>
    public Outcome<GenerationRequest> Check(GenerationDraft draft)
    {
        var errors = new ValidationErrors();
        if (TextRules.DisplayProblem(draft.Prompt ?? "", multiLine: true, out var prompt) is { } unreadablePrompt)
        {
            errors.Add("prompt", string.IsNullOrWhiteSpace(draft.Prompt) ? PromptRule : $"The prompt {unreadablePrompt}.");
        }
        else if (prompt.Length > MaxPromptLength)
        {
            errors.Add("prompt", PromptRule);
        }

        string? negativePrompt = null;
        if (!string.IsNullOrWhiteSpace(draft.NegativePrompt))
        {
            if (TextRules.DisplayProblem(draft.NegativePrompt, multiLine: true, out var stored) is { } unreadable)
            {
                errors.Add("negativePrompt", $"The negative prompt {unreadable}.");
            }
            else if (stored.Length > MaxPromptLength)
            {
                errors.Add("negativePrompt", NegativePromptRule);
            }

            negativePrompt = stored;
        }

        var size = draft.Size ?? _generator.DefaultSize;
        if (!_options.AllowedSizes.Contains(size, StringComparer.Ordinal))
        {
            errors.Add("size", $"The size must be one of {string.Join(", ", _options.AllowedSizes)}.");
        }

        var model = draft.Model ?? _generator.DefaultModel;
        if (!_generator.Models.Contains(model, StringComparer.Ordinal))
        {
            errors.Add("model", $"The model must be one of {string.Join(", ", _generator.Models)} (the {_generator.Name} generator is in use).");
        }

        if (draft.Seed is < 0)
        {
            errors.Add("seed", SeedRule);
        }

        return errors.ToRefusal() is { } refusal
            ? refusal
            : new GenerationRequest(prompt, negativePrompt, model, size, draft.Seed ?? Random.Shared.NextInt64(MaxDrawnSeed));
    }

    /// <summary>Quota, generation, storage and record; refused with nothing stored or counted when any of it fails.</summary>
    public async Task<Outcome<Generation>> GenerateAsync(Guid accountId, GenerationRequest request, CancellationToken cancellationToken)
    {
        using var activity = IngestTelemetry.Activities.StartActivity("generate image");
        activity?.SetTag("aisocial.generator", _generator.Name);
        var reserved = await ReserveAsync(accountId, cancellationToken);
        if (reserved.Refusal is { } overQuota)
        {
            return overQuota;
        }

        var reservation = reserved.Value;
        var recorded = false;
        try
        {
            var generated = await _generator.GenerateAsync(
                new ImageRequest(request.Prompt, request.NegativePrompt, request.Model, ImageSize.Parse(request.Size)!, request.Seed), cancellationToken);
            if (generated.Refusal is { } refused)
            {
                return refused;
            }

            var picture = generated.Value;
            var stored = GeneratedImages.Encode(picture.Bytes,
                _generator.IsTrainedModel ? GeneratedImages.TrainedAlgorithmicMedia : GeneratedImages.AlgorithmicMedia,
                $"AiSocial {_generator.Name} ({request.Model})");
            if (stored is null)
            {
                _logger.LogWarning("The {Generator} generator sent {Bytes} bytes that are not a readable image", _generator.Name, picture.Bytes.Length);
                return new Refusal(IngestProblems.GeneratorFailed, "The image generator sent something that is not a readable image. Nothing was made or counted.");
            }

            var generation = await RecordAsync(accountId, reservation, request, picture, stored, cancellationToken);
            recorded = true;
            return generation;
        }
        finally
        {
            if (!recorded)
            {
                await ReleaseAsync(reservation);
            }
        }
    }

    /// <summary>The generation, to the account that made it only; null for anyone else.</summary>
    public async Task<Generation?> GetOwnAsync(Guid id, Guid accountId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            """
            select g.id, g.account_id, g.prompt, g.negative_prompt, g.generator, g.model, g.size, g.seed, g.parameters::text,
                   g.revised_prompt, g.media_sha256, m.width, m.height, g.created_at
            from ingest.generations g join ingest.media m on m.sha256 = g.media_sha256
            where g.id = $1 and g.account_id = $2
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = accountId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Generation(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetInt64(7), reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9), reader.GetString(10), reader.GetInt32(11), reader.GetInt32(12),
                reader.GetFieldValue<DateTimeOffset>(13))
            : null;
    }

    /// <summary>
    /// Takes one unit of the account's quota: under the account's lock, counts the generations of the last day and the
    /// reservations still in flight, and adds a reservation when there is room.
    /// </summary>
    private async Task<Outcome<Guid>> ReserveAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("select pg_advisory_xact_lock($1, hashtext($2::text))", connection))
        {
            command.Parameters.Add(new() { Value = LockSpace });
            command.Parameters.Add(new() { Value = accountId });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(
            "delete from ingest.generation_reservations where account_id = $1 and expires_at <= now()", connection))
        {
            command.Parameters.Add(new() { Value = accountId });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(
            """
            select (select count(*) from ingest.generations where account_id = $1 and created_at > now() - $2),
                   (select min(created_at) from ingest.generations where account_id = $1 and created_at > now() - $2),
                   (select count(*) from ingest.generation_reservations where account_id = $1),
                   (select min(expires_at) from ingest.generation_reservations where account_id = $1),
                   now()
            """, connection))
        {
            command.Parameters.Add(new() { Value = accountId });
            command.Parameters.Add(new() { Value = Window });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var (made, reserved, now) = (reader.GetInt64(0), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(4));
            if (made + reserved >= _options.DailyQuota)
            {
                // A unit comes back when the oldest counted generation leaves the window or a reservation ends.
                var frees = new[]
                {
                    reader.IsDBNull(1) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(1) + Window,
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                }.OfType<DateTimeOffset>().DefaultIfEmpty(now + Window).Min();
                return new Refusal(IngestProblems.GenerationQuotaExceeded,
                    $"You made {made} of the {_options.DailyQuota} images allowed in any 24 hours{(reserved > 0 ? $" and {reserved} more are being made" : "")}. " +
                    "Try again after Retry-After.")
                {
                    // A generation recorded by a transaction younger than this one can make the wait look longer than the window.
                    RetryAfter = TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling((frees - now).TotalSeconds), 1, Window.TotalSeconds)),
                };
            }
        }

        var id = Guid.CreateVersion7();
        await using (var command = new NpgsqlCommand(
            "insert into ingest.generation_reservations (id, account_id, expires_at) values ($1, $2, now() + $3)", connection))
        {
            command.Parameters.Add(new() { Value = id });
            command.Parameters.Add(new() { Value = accountId });
            command.Parameters.Add(new() { Value = TimeSpan.FromSeconds(_options.OpenAI.TimeoutSeconds) + LeaseMargin });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    private async Task ReleaseAsync(Guid reservation)
    {
        try
        {
            await using var command = _dataSource.CreateCommand("delete from ingest.generation_reservations where id = $1");
            command.Parameters.Add(new() { Value = reservation });
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException failure)
        {
            // The reservation lapses on its own; until then it holds one unit of quota.
            _logger.LogWarning(failure, "Could not release generation reservation {Reservation}", reservation);
        }
    }

    /// <summary>The media row, the generation and the end of the reservation in one transaction, inside which the file takes its place.</summary>
    private async Task<Generation> RecordAsync(Guid accountId, Guid reservation, GenerationRequest request, GeneratedPicture picture,
        StoredPicture stored, CancellationToken cancellationToken)
    {
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(stored.Png));
        // The pipeline gives the picture what every stored image has (thumbnail, placeholder, PDQ hash of its pixels);
        // the file stored is the PNG as made, which keeps its XMP source type.
        var described = (await _inspector.InspectAsync(new MemoryStream(stored.Png, writable: false), cancellationToken)).Value;
        using var staged = await _media.StageAsync(described with
        {
            Bytes = stored.Png,
            Sha256 = sha256,
            UploadSha256 = sha256,
            ContentType = "image/png",
            Width = stored.Width,
            Height = stored.Height,
        }, cancellationToken);
        var id = Guid.CreateVersion7();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await staged.RecordAsync(connection, cancellationToken);

        DateTimeOffset createdAt;
        await using (var command = new NpgsqlCommand(
            """
            insert into ingest.generations (id, account_id, prompt, negative_prompt, generator, model, size, seed, parameters, revised_prompt, media_sha256)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            returning created_at
            """, connection))
        {
            command.Parameters.Add(new() { Value = id });
            command.Parameters.Add(new() { Value = accountId });
            command.Parameters.Add(new() { Value = request.Prompt });
            command.Parameters.Add(new() { Value = (object?)request.NegativePrompt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = _generator.Name });
            command.Parameters.Add(new() { Value = request.Model });
            command.Parameters.Add(new() { Value = request.Size });
            command.Parameters.Add(new() { Value = request.Seed });
            command.Parameters.Add(new() { Value = JsonSerializer.Serialize(picture.Parameters), NpgsqlDbType = NpgsqlDbType.Jsonb });
            command.Parameters.Add(new() { Value = (object?)picture.RevisedPrompt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = sha256 });
            createdAt = new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync(cancellationToken))!, TimeSpan.Zero);
        }

        await using (var command = new NpgsqlCommand("delete from ingest.generation_reservations where id = $1", connection))
        {
            command.Parameters.Add(new() { Value = reservation });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await staged.PlaceAsync(connection, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new Generation(id, accountId, request.Prompt, request.NegativePrompt, _generator.Name, request.Model, request.Size, request.Seed,
            JsonSerializer.Serialize(picture.Parameters), picture.RevisedPrompt, sha256, stored.Width, stored.Height, createdAt);
    }
}
