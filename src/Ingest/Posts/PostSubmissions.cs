using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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

    public const string ImageRule = "Attach the image as the multipart field 'image'.";
    public const string PromptRule = "The prompt is required, at most 2000 characters: say what the image was made from.";
    public const string CaptionRule = "The caption may be at most 2200 characters.";

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
        if (CheckDraft(draft, imageAttached: image is not null, out var prompt, out var caption) is { } invalid)
        {
            return invalid;
        }

        var inspection = await inspector.InspectAsync(image!, cancellationToken);
        if (inspection.Refusal is { } badImage)
        {
            return badImage;
        }

        var inspected = inspection.Value;
        var fingerprint = Fingerprint(prompt, caption, inspected.UploadSha256);

        var earlier = await FindByKeyAsync(authorId, key, cancellationToken);
        if (earlier is not null)
        {
            return await ReplayAsync(earlier.Value, fingerprint, cancellationToken);
        }

        // Written under a temporary name first; it takes its place only in the transaction that records it.
        using var staged = await media.StageAsync(inspected, cancellationToken);
        var postId = Guid.CreateVersion7();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await staged.RecordAsync(connection, cancellationToken);
            await using (var command = new NpgsqlCommand(
                """
                insert into ingest.posts (id, author_id, media_sha256, upload_sha256, prompt, caption, idempotency_key, request_fingerprint, provenance)
                values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
                on conflict (author_id, idempotency_key) do nothing
                """, connection))
            {
                command.Parameters.Add(new() { Value = postId });
                command.Parameters.Add(new() { Value = authorId });
                command.Parameters.Add(new() { Value = inspected.Sha256 });
                command.Parameters.Add(new() { Value = inspected.UploadSha256 });
                command.Parameters.Add(new() { Value = prompt });
                command.Parameters.Add(new() { Value = (object?)caption ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                command.Parameters.Add(new() { Value = key });
                command.Parameters.Add(new() { Value = fingerprint });
                command.Parameters.Add(new() { Value = inspected.Provenance.ToJson() });
                if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
                {
                    // A concurrent request with the same key won the race; answer as its retry. The staged file goes.
                    await transaction.RollbackAsync(cancellationToken);
                    var winner = await FindByKeyAsync(authorId, key, cancellationToken);
                    return await ReplayAsync(winner!.Value, fingerprint, cancellationToken);
                }
            }

            await OutboxQueue.EnqueueAsync(connection, OutboxTopics.PostSubmitted, postId, cancellationToken);
            await staged.PlaceAsync(connection, cancellationToken);
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

    private static Refusal? CheckDraft(PostDraft draft, bool imageAttached, out string prompt, out string? caption)
    {
        var errors = new ValidationErrors();
        if (TextRules.DisplayProblem(draft.Prompt ?? "", multiLine: true, out prompt) is { } unreadablePrompt)
        {
            errors.Add("prompt", string.IsNullOrWhiteSpace(draft.Prompt) ? PromptRule : $"The prompt {unreadablePrompt}.");
        }
        else if (prompt.Length > MaxPromptLength)
        {
            errors.Add("prompt", PromptRule);
        }

        // An empty caption is no caption; one of only invisible characters is refused like any unreadable text.
        caption = null;
        if (!string.IsNullOrWhiteSpace(draft.Caption))
        {
            if (TextRules.DisplayProblem(draft.Caption, multiLine: true, out var stored) is { } unreadableCaption)
            {
                errors.Add("caption", $"The caption {unreadableCaption}.");
            }
            else if (stored.Length > MaxCaptionLength)
            {
                errors.Add("caption", CaptionRule);
            }

            caption = stored;
        }

        if (!imageAttached)
        {
            errors.Add("image", ImageRule);
        }

        return errors.ToRefusal();
    }

    private static byte[] Fingerprint(string prompt, string? caption, string imageSha256) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new[] { prompt, caption, imageSha256 })));

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
                "This Idempotency-Key was already used with a different image, prompt or caption. Use a new key for a new post.");
        }

        return new SubmittedPost((await posts.GetAsync(earlier.PostId, cancellationToken))!, Replayed: true);
    }
}
