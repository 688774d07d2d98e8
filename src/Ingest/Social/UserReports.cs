using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Outbox;
using AiSocial.Ingest.Posts;
using AiSocial.Problems;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Ingest.Social;

/// <summary>A person's report of a post, comment or account; <see cref="Status"/> is open, actioned or dismissed.</summary>
public sealed record Report(Guid Id, string SubjectType, Guid SubjectId, string Reason, string? Text, string Status, string? Outcome,
    DateTimeOffset CreatedAt, DateTimeOffset? ResolvedAt);

/// <summary>What a person reports; every field is checked by <see cref="UserReports"/>.</summary>
public sealed record ReportDraft(string? SubjectType, string? SubjectId, string? Reason, string? Text);

/// <summary>The report as filed; <see cref="Created"/> is false when the reporter already had an open report of the subject.</summary>
public sealed record FiledReport(Report Report, bool Created);

public sealed record ReportPage(IReadOnlyList<Report> Items, string? NextCursor);

/// <summary>
/// Reports from people, one open report per reporter and subject. Each new report is stored with an outbox message
/// (<see cref="OutboxTopics.ReportSubmitted"/>) in one transaction, which is how moderation learns of it.
/// </summary>
public sealed class UserReports(NpgsqlDataSource dataSource)
{
    public const int MaxTextLength = 2000;

    public static readonly IReadOnlyList<string> SubjectTypes = ["post", "comment", "account"];

    public static readonly IReadOnlyList<string> Reasons =
        ["spam", "sexual", "minor-safety", "violence", "hate", "harassment", "self-harm", "creator-rights", "impersonation-deepfake", "other"];

    public const string SubjectTypeRule = "subjectType must be post, comment or account.";
    public const string ReasonRule =
        "reason must be one of spam, sexual, minor-safety, violence, hate, harassment, self-harm, creator-rights, impersonation-deepfake, other.";
    public const string SubjectIdRule = "subjectId must be the id of the post, comment or account (an account may also be given by its handle).";
    public const string TextRule = "The text may be at most 2000 characters.";

    private const string SelectReport =
        "select id, subject_type, subject_id, reason, text, status, outcome, created_at, resolved_at from ingest.reports";

    public async Task<Outcome<FiledReport>> FileAsync(Guid reporterId, ReportDraft draft, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (draft.SubjectType is null || !SubjectTypes.Contains(draft.SubjectType))
        {
            errors.Add("subjectType", SubjectTypeRule);
        }

        if (draft.Reason is null || !Reasons.Contains(draft.Reason))
        {
            errors.Add("reason", ReasonRule);
        }

        var subjectText = draft.SubjectId?.Trim() ?? "";
        Guid? subjectGuid = Guid.TryParse(subjectText, out var parsed) ? parsed : null;
        if (subjectText.Length == 0 || (subjectGuid is null && draft.SubjectType is not "account"))
        {
            errors.Add("subjectId", SubjectIdRule);
        }

        string? text = null;
        if (!string.IsNullOrWhiteSpace(draft.Text))
        {
            if (TextRules.DisplayProblem(draft.Text, multiLine: true, out var stored) is { } unreadable)
            {
                errors.Add("text", $"The text {unreadable}.");
            }
            else if (stored.Length > MaxTextLength)
            {
                errors.Add("text", TextRule);
            }

            text = stored;
        }

        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (await FindSubjectAsync(connection, reporterId, draft.SubjectType!, subjectGuid, subjectText, cancellationToken) is not { } subjectId)
        {
            return new Refusal(CommonProblems.NotFound, $"There is no {draft.SubjectType} {subjectText} you can report.");
        }

        if (draft.SubjectType == "account" && subjectId == reporterId)
        {
            return Refusal.Invalid("subjectId", "You cannot report your own account.");
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        Report? report;
        await using (var command = new NpgsqlCommand(
            """
            insert into ingest.reports (id, reporter_id, subject_type, subject_id, reason, text) values ($1, $2, $3, $4, $5, $6)
            on conflict (reporter_id, subject_type, subject_id) where status = 'open' do nothing
            returning id, subject_type, subject_id, reason, text, status, outcome, created_at, resolved_at
            """, connection))
        {
            command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
            command.Parameters.Add(new() { Value = reporterId });
            command.Parameters.Add(new() { Value = draft.SubjectType! });
            command.Parameters.Add(new() { Value = subjectId });
            command.Parameters.Add(new() { Value = draft.Reason! });
            command.Parameters.Add(new() { Value = (object?)text ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            report = (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
        }

        if (report is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                $"{SelectReport} where reporter_id = $1 and subject_type = $2 and subject_id = $3 and status = 'open'", connection);
            command.Parameters.Add(new() { Value = reporterId });
            command.Parameters.Add(new() { Value = draft.SubjectType! });
            command.Parameters.Add(new() { Value = subjectId });
            if ((await ReadAllAsync(command, cancellationToken)).SingleOrDefault() is { } open)
            {
                return new FiledReport(open, Created: false);
            }

            // The open report was resolved in between; this one may now be filed.
            return await FileAsync(reporterId, draft, cancellationToken);
        }

        await OutboxQueue.EnqueueAsync(connection, OutboxTopics.ReportSubmitted, report.Id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new FiledReport(report, Created: true);
    }

    /// <summary>The reporter's reports, newest first.</summary>
    public async Task<Outcome<ReportPage>> MineAsync(Guid reporterId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        (DateTimeOffset At, Guid Id)? before = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            var decoded = PageCursor.Decode(cursor, PageCursor.Reports, 1, 1);
            if (decoded.Refusal is { } refusal)
            {
                return refusal;
            }

            if (PageCursor.ToTime(decoded.Value.Numbers[0]) is not { } at)
            {
                return new Refusal(IngestProblems.InvalidCursor, "The cursor is malformed; use nextCursor from a previous page.");
            }

            before = (at, decoded.Value.Ids[0]);
        }

        limit = Math.Clamp(limit, 1, PostStore.MaxPageSize);
        await using var command = dataSource.CreateCommand(
            $"""
            {SelectReport}
            where reporter_id = $1 and ($2::timestamptz is null or (created_at, id) < ($2, $3))
            order by created_at desc, id desc
            limit $4
            """);
        command.Parameters.Add(new() { Value = reporterId });
        command.Parameters.Add(new() { Value = (object?)before?.At ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = before?.Id ?? Guid.Empty });
        command.Parameters.Add(new() { Value = limit + 1 });
        var reports = await ReadAllAsync(command, cancellationToken);
        if (reports.Count <= limit)
        {
            return new ReportPage(reports, null);
        }

        var last = reports[limit - 1];
        return new ReportPage(reports.Take(limit).ToList(),
            PageCursor.Encode(PageCursor.Reports, [PageCursor.ToNumber(last.CreatedAt)], [last.Id]));
    }

    // The subject's id if it exists for the reporter: a post published (or their own) and not deleted, a comment on
    // such a post, or an account by id or handle. Blocks do not matter: a blocked harasser may still be reported.
    private static async Task<Guid?> FindSubjectAsync(NpgsqlConnection connection, Guid reporterId, string subjectType, Guid? id, string text,
        CancellationToken cancellationToken)
    {
        var sql = subjectType switch
        {
            "post" => "select id from ingest.posts where id = $1 and deleted_at is null and (status = 'published' or author_id = $3)",
            "comment" =>
                """
                select c.id from ingest.comments c join ingest.posts p on p.id = c.post_id
                where c.id = $1 and c.deleted_at is null and p.deleted_at is null and (p.status = 'published' or p.author_id = $3)
                """,
            _ => "select id from ingest.accounts where id = $1 or handle = $2",
        };
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new() { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = AccountRegistry.NormalizeHandle(text) });
        command.Parameters.Add(new() { Value = reporterId });
        return await command.ExecuteScalarAsync(cancellationToken) as Guid?;
    }

    private static async Task<List<Report>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var reports = new List<Report>();
        while (await reader.ReadAsync(cancellationToken))
        {
            reports.Add(new Report(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return reports;
    }
}
