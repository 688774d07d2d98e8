using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Moderation.Protections;

/// <summary>A reviewer's request to see the image of a task in a queue that hides it, and why they asked.</summary>
public sealed record ImageReveal(long Id, Guid TaskId, Guid PostId, Guid ReviewerId, string Reason, DateTimeOffset At);

/// <summary>
/// The minor-safety queue's rule that its reviewers judge from the signals and the text, and see the image only when
/// they ask and say why. Each request is recorded and audited (<c>review.reveal-image</c>) before the image is served;
/// the staff media endpoint asks <see cref="MayViewAsync"/> and refuses everyone else.
/// </summary>
public sealed class ImageReveals(NpgsqlDataSource dataSource, AccountRegistry accounts, AuditLog audit)
{
    /// <summary>The queue whose images are hidden from reviewers until they ask.</summary>
    public const string HiddenQueue = "minor-safety";

    public const int MaxReasonLength = 500;

    public static bool HidesImages(string queue) => queue == HiddenQueue;

    /// <summary>Records that the reviewer asked to see the task's image and why; refused with nothing recorded when the reason is blank or too long.</summary>
    public async Task<Outcome<ImageReveal>> RevealAsync(Guid taskId, Actor reviewer, string reason, CancellationToken cancellationToken)
    {
        if (reviewer.AccountId is not { } reviewerId ||
            await accounts.FindByIdAsync(reviewerId, cancellationToken) is not { } account ||
            !(account.IsInRole(Roles.Moderator) || account.IsInRole(Roles.Admin)))
        {
            return new Refusal(CommonProblems.Forbidden, "Only moderators and admins review tasks and may ask to see their images.");
        }

        reason = reason.Trim();
        if (reason.Length == 0 || reason.Length > MaxReasonLength)
        {
            return Refusal.Invalid("reason", $"Say why you need to see the image, in at most {MaxReasonLength} characters; the request is audited.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        ImageReveal reveal;
        await using (var command = new NpgsqlCommand(
            """
            insert into moderation.image_reveals (task_id, post_id, reviewer_id, reason)
            select id, post_id, $2, $3 from moderation.review_tasks where id = $1
            returning id, task_id, post_id, reviewer_id, reason, created_at
            """, connection))
        {
            command.Parameters.Add(new() { Value = taskId });
            command.Parameters.Add(new() { Value = reviewerId });
            command.Parameters.Add(new() { Value = reason });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new Refusal(CommonProblems.NotFound, $"There is no review task {taskId}.");
            }

            reveal = new ImageReveal(reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetGuid(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5));
        }

        await audit.AppendAsync(connection, reviewer, "review.reveal-image", "post", reveal.PostId.ToString(),
            new { taskId, revealId = reveal.Id, reason }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return reveal;
    }

    /// <summary>Whether the reviewer has asked to see this task's image.</summary>
    public async Task<bool> HasRevealedAsync(Guid taskId, Guid reviewerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select exists (select 1 from moderation.image_reveals where task_id = $1 and reviewer_id = $2)");
        command.Parameters.Add(new() { Value = taskId });
        command.Parameters.Add(new() { Value = reviewerId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Whether a staff member may be served an image: not while a post showing it waits in a hidden queue, unless they
    /// asked to see that post's task.
    /// </summary>
    public async Task<bool> MayViewAsync(Guid? viewerId, string sha256, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            select not exists (
                select 1 from ingest.posts p
                join moderation.review_tasks t on t.post_id = p.id and t.state = 'open' and t.queue = '{HiddenQueue}'
                where p.media_sha256 = $1
                  and not exists (select 1 from moderation.image_reveals r where r.task_id = t.id and r.reviewer_id = $2))
            """);
        command.Parameters.Add(new() { Value = sha256 });
        command.Parameters.Add(new() { Value = viewerId ?? Guid.Empty });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
