using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Media;
using AiSocial.Ingest.Outbox;
using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Ingest.Posts;

public sealed record SubmittedPost(Post Post, bool Replayed);

/// <summary>
/// Accepts a new post: validates everything before storing anything, then writes the post and its outbox message in
/// one transaction, inside which the re-encoded image takes its content-addressed place; a refused or failed post
/// leaves no file behind. The same Idempotency-Key with the same request returns the
/// same post; with a different request it is refused.
/// </summary>
public sealed class PostSubmissions(
    NpgsqlDataSource dataSource, ImageInspector inspector, MediaStore media, PostStore posts, IngestTelemetry telemetry)
{
    public const int MaxPromptLength = 2000;
    public const int MaxCaptionLength = 2200;
    public const int MaxIdempotencyKeyLength = 200;

    public const int MaxAltTextLength = 1500;
    public const int MaxContentWarningLength = 200;

    public const string ImageRule = "Attach the image as the multipart field 'image'.";
    public const string ImageOrGenerationRule = "Send either an 'image' file or the 'generationId' of an image you generated, not both.";
    public const string PromptRule = "The prompt is required, at most 2000 characters: say what the image was made from.";
    public const string NegativePromptRule = "The negative prompt may be at most 2000 characters.";
    public const string CaptionRule = "The caption may be at most 2200 characters.";
    public const string AltTextRule = "The alt text may be at most 1500 characters.";
    public const string ContentWarningRule = "The content warning may be at most 200 characters, on one line.";
    public const string PromptVisibilityRule = "promptVisibility must be public, followers or private.";

    /// <summary>The accepted post (or, for a retry, the post the key first made); refused when anything sent is wrong.</summary>
    public async Task<Outcome<SubmittedPost>> SubmitAsync(Guid authorId, string? idempotencyKey, PostDraft draft, Stream? image,
        CancellationToken cancellationToken)
    {
        using var activity = IngestTelemetry.Activities.StartActivity("submit post");
        if (CheckIdempotencyKey(idempotencyKey) is { } badKey)
        {
            return badKey;
        }

        var key = idempotencyKey!;
        if (CheckDraft(draft, imageAttached: image is not null, out var fields) is { } invalid)
        {
            return invalid;
        }

        InspectedImage? inspected = null;
        if (image is not null)
        {
            var inspection = await inspector.InspectAsync(image, cancellationToken);
            if (inspection.Refusal is { } badImage)
            {
                return badImage;
            }

            inspected = inspection.Value;
        }

        var fingerprint = Fingerprint(fields, inspected?.UploadSha256);

        var earlier = await FindByKeyAsync(authorId, key, cancellationToken);
        if (earlier is not null)
        {
            return await ReplayAsync(earlier.Value, fingerprint, cancellationToken);
        }

        string mediaSha256, uploadSha256, prompt;
        var negativePrompt = fields.NegativePrompt;
        if (inspected is not null)
        {
            (mediaSha256, uploadSha256, prompt) = (inspected.Sha256, inspected.UploadSha256, fields.Prompt!);
        }
        else if (await FindGenerationAsync(authorId, fields.GenerationId!.Value, cancellationToken) is { } generation)
        {
            // The generated file is what the author "sent": its hash stands for the upload's.
            (mediaSha256, uploadSha256, prompt) = (generation.MediaSha256, generation.MediaSha256, fields.Prompt ?? generation.Prompt);
            negativePrompt ??= generation.NegativePrompt;
        }
        else
        {
            return new Refusal(IngestProblems.GenerationNotFound,
                $"There is no generation {fields.GenerationId} of yours; send the id POST /api/v1/generations answered you with.");
        }

        // Written under a temporary name first; it takes its place only in the transaction that records it.
        using var staged = inspected is null ? null : await media.StageAsync(inspected, cancellationToken);
        var postId = Guid.CreateVersion7();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            // Checked in the transaction, holding the source so that it cannot be deleted before its remix is counted.
            if (fields.RemixOf is { } source && !await LockRemixSourceAsync(connection, authorId, source, cancellationToken))
            {
                return new Refusal(IngestProblems.RemixSourceNotFound, $"There is no post {source} you can see to remix; remixOf names a post you can see.");
            }

            if (staged is not null)
            {
                await staged.RecordAsync(connection, cancellationToken);
            }

            await using (var command = new NpgsqlCommand(
                """
                insert into ingest.posts (id, author_id, media_sha256, upload_sha256, prompt, caption, idempotency_key, request_fingerprint,
                                          negative_prompt, alt_text, tags, given_tags, sensitive, content_warning, remix_of,
                                          prompt_visibility, allow_training, generation_id, provenance)
                values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::jsonb)
                on conflict (author_id, idempotency_key) do nothing
                """, connection))
            {
                command.Parameters.Add(new() { Value = postId });
                command.Parameters.Add(new() { Value = authorId });
                command.Parameters.Add(new() { Value = mediaSha256 });
                command.Parameters.Add(new() { Value = uploadSha256 });
                command.Parameters.Add(new() { Value = prompt });
                command.Parameters.Add(Text(fields.Caption));
                command.Parameters.Add(new() { Value = key });
                command.Parameters.Add(new() { Value = fingerprint });
                command.Parameters.Add(Text(negativePrompt));
                command.Parameters.Add(Text(fields.AltText));
                command.Parameters.Add(new() { Value = fields.Tags.ToArray() });
                command.Parameters.Add(new() { Value = fields.GivenTags.ToArray() });
                command.Parameters.Add(new() { Value = fields.Sensitive });
                command.Parameters.Add(Text(fields.ContentWarning));
                command.Parameters.Add(new() { Value = (object?)fields.RemixOf ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
                command.Parameters.Add(new() { Value = fields.PromptVisibility.ToDatabase() });
                command.Parameters.Add(new() { Value = (object?)fields.AllowTraining ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean });
                command.Parameters.Add(new() { Value = (object?)fields.GenerationId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
                // Provenance is what the upload carried; a generated image's origin is its generation row.
                command.Parameters.Add(new() { Value = (object?)inspected?.Provenance.ToJson() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
                {
                    // A concurrent request with the same key won the race; answer as its retry. The staged file goes.
                    await transaction.RollbackAsync(cancellationToken);
                    var winner = await FindByKeyAsync(authorId, key, cancellationToken);
                    return await ReplayAsync(winner!.Value, fingerprint, cancellationToken);
                }
            }

            await PostTags.StoreAsync(connection, postId, fields.Tags, cancellationToken);
            if (fields.RemixOf is { } remixed)
            {
                await PostLineage.CountRemixesAsync(connection, remixed, 1, cancellationToken);
            }

            await OutboxQueue.EnqueueAsync(connection, OutboxTopics.PostSubmitted, postId, cancellationToken);
            if (staged is not null)
            {
                await staged.PlaceAsync(connection, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        telemetry.PostsSubmitted.Add(1);
        return new SubmittedPost((await posts.GetAsync(postId, cancellationToken))!, Replayed: false);
    }

    private static Refusal? CheckIdempotencyKey(string? key)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            return new Refusal(IngestProblems.IdempotencyKeyMissing, "The Idempotency-Key header is missing.");
        }

        return key.Length > MaxIdempotencyKeyLength || key.Any(c => c is < ' ' or > '~')
            ? Refusal.Invalid("Idempotency-Key", $"Idempotency-Key must be 1–{MaxIdempotencyKeyLength} printable ASCII characters.")
            : null;
    }

    /// <summary>The draft as it is stored, every text checked and trimmed; the prompt is null only for a generation that brings its own.</summary>
    private sealed record CheckedDraft(
        string? Prompt,
        string? NegativePrompt,
        string? Caption,
        string? AltText,
        IReadOnlyList<string> GivenTags,
        IReadOnlyList<string> Tags,
        bool Sensitive,
        string? ContentWarning,
        Guid? RemixOf,
        PromptVisibility PromptVisibility,
        bool? AllowTraining,
        Guid? GenerationId);

    private static Refusal? CheckDraft(PostDraft draft, bool imageAttached, out CheckedDraft fields)
    {
        var errors = new ValidationErrors();
        string? prompt = null;
        // A generation brings its own prompt, so for one an empty prompt field is no prompt.
        if (imageAttached || !string.IsNullOrWhiteSpace(draft.Prompt))
        {
            if (TextRules.DisplayProblem(draft.Prompt ?? "", multiLine: true, out var stored) is { } unreadablePrompt)
            {
                errors.Add("prompt", string.IsNullOrWhiteSpace(draft.Prompt) ? PromptRule : $"The prompt {unreadablePrompt}.");
            }
            else if (stored.Length > MaxPromptLength)
            {
                errors.Add("prompt", PromptRule);
            }

            prompt = stored;
        }

        var negativePrompt = OptionalText(draft.NegativePrompt, "negativePrompt", "negative prompt", MaxPromptLength, NegativePromptRule, true, errors);
        var caption = OptionalText(draft.Caption, "caption", "caption", MaxCaptionLength, CaptionRule, true, errors);
        var altText = OptionalText(draft.AltText, "altText", "alt text", MaxAltTextLength, AltTextRule, true, errors);
        var contentWarning = OptionalText(draft.ContentWarning, "contentWarning", "content warning", MaxContentWarningLength, ContentWarningRule, false, errors);
        if (contentWarning is not null && draft.Sensitive == false)
        {
            errors.Add("contentWarning", "A content warning marks the post sensitive; leave 'sensitive' out or send true with it.");
        }

        var given = PostTags.ParseGiven(draft.Tags, errors);
        var tags = PostTags.Combine(given, PostTags.ParseCaption(caption, errors), errors);

        PromptVisibility? visibility = draft.PromptVisibility switch
        {
            null or "" or "public" => PromptVisibility.Public,
            "followers" => PromptVisibility.Followers,
            "private" => PromptVisibility.Private,
            _ => null,
        };
        if (visibility is null)
        {
            errors.Add("promptVisibility", PromptVisibilityRule);
        }

        if (imageAttached == draft.GenerationId.HasValue)
        {
            errors.Add(imageAttached ? "generationId" : "image", ImageOrGenerationRule);
        }

        fields = new CheckedDraft(prompt, negativePrompt, caption, altText, given, tags, draft.Sensitive ?? contentWarning is not null, contentWarning,
            draft.RemixOf, visibility ?? PromptVisibility.Public, draft.AllowTraining == false ? false : null, draft.GenerationId);
        return errors.ToRefusal();
    }

    /// <summary>Text shown to others that may be left out: empty is absent; otherwise it must be readable and short enough.</summary>
    private static string? OptionalText(string? text, string field, string name, int maxLength, string rule, bool multiLine, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (TextRules.DisplayProblem(text, multiLine, out var stored) is { } unreadable)
        {
            errors.Add(field, $"The {name} {unreadable}.");
        }
        else if (stored.Length > maxLength)
        {
            errors.Add(field, rule);
        }

        return stored;
    }

    /// <summary>Every stored field of the request, so the same key with anything changed is refused rather than replayed.</summary>
    private static byte[] Fingerprint(CheckedDraft fields, string? uploadSha256) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new object?[]
        {
            fields.Prompt, fields.Caption, uploadSha256, fields.GenerationId, fields.NegativePrompt, fields.AltText, fields.Tags, fields.Sensitive,
            fields.ContentWarning, fields.RemixOf, fields.PromptVisibility.ToDatabase(), fields.AllowTraining,
        })));

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };

    private sealed record GenerationSource(string Prompt, string? NegativePrompt, string MediaSha256);

    /// <summary>The author's own generation; someone else's is as unknown as one that does not exist.</summary>
    private async Task<GenerationSource?> FindGenerationAsync(Guid authorId, Guid generationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select prompt, negative_prompt, media_sha256 from ingest.generations where id = $1 and account_id = $2");
        command.Parameters.Add(new() { Value = generationId });
        command.Parameters.Add(new() { Value = authorId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new GenerationSource(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2))
            : null;
    }

    /// <summary>True when the author may see the post they remix; it is then held until the transaction ends.</summary>
    private static async Task<bool> LockRemixSourceAsync(NpgsqlConnection connection, Guid authorId, Guid sourceId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"select 1 from ingest.posts p where p.id = $1 and {PostStore.VisibleTo("$2")} for share", connection);
        command.Parameters.Add(new() { Value = sourceId });
        command.Parameters.Add(new() { Value = authorId });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private async Task<(Guid PostId, byte[] Fingerprint)?> FindByKeyAsync(Guid authorId, string key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select id, request_fingerprint from ingest.posts where author_id = $1 and idempotency_key = $2");
        command.Parameters.Add(new() { Value = authorId });
        command.Parameters.Add(new() { Value = key });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetGuid(0), reader.GetFieldValue<byte[]>(1)) : null;
    }

    private async Task<Outcome<SubmittedPost>> ReplayAsync((Guid PostId, byte[] Fingerprint) earlier, byte[] fingerprint,
        CancellationToken cancellationToken)
    {
        if (!earlier.Fingerprint.AsSpan().SequenceEqual(fingerprint))
        {
            return new Refusal(IngestProblems.IdempotencyKeyReused,
                "This Idempotency-Key was already used with a different image, generation or field. Use a new key for a new post.");
        }

        var post = (await posts.GetAsync(earlier.PostId, cancellationToken))!;
        return post.DeletedAt is null
            ? new SubmittedPost(post, Replayed: true)
            : new Refusal(CommonProblems.Conflict, "The post this Idempotency-Key made has been deleted. Use a new key to post again.");
    }
}
