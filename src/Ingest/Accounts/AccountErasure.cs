using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Media;
using AiSocial.Ingest.Posts;
using AiSocial.Problems;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Ingest.Accounts;

/// <summary>What one erasure removed, counted (the audit entry records these, and nothing personal).</summary>
public sealed record ErasureReceipt(string Subject, DateTimeOffset ErasedAt, int Posts, int Comments, int MediaDeleted);

/// <summary>
/// Erases an account (GDPR Art. 17), after the person re-enters their password. In one transaction: their personal data
/// is deleted (tokens, sessions, roles, likes, reposts, follows, blocks, mutes, notifications, events, generations and
/// their prompts, post edit history, reports they filed, sign-in failures); what others' data hangs on becomes a
/// tombstone without texts (the account row, their posts, their comments); the consent ledger keeps only a
/// pseudonymous record that consent ended; the audit log's entries about them lose their name and client address;
/// <c>ingest.erasures</c> gets the pseudonym, for the datasets' revocation lists; and the erasure is audited. Images
/// no other post or generation uses lose their row, and their files are deleted once that has committed.
/// </summary>
public sealed class AccountErasure(
    NpgsqlDataSource dataSource, AccountRegistry accounts, SignIns signIns, MediaStore media, AuditLog audit, TimeProvider clock,
    ILogger<AccountErasure> logger)
{
    public const string Erased = "[erased]";

    /// <summary>The pseudonym an erased account keeps: lower-hex SHA-256 of the account id's text, as the consent ledger has it.</summary>
    public static string Subject(Guid accountId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(accountId.ToString())));

    /// <summary>
    /// Erases the account when <paramref name="password"/> is its password; refused, with nothing changed, when it is
    /// missing or wrong (a wrong one counts as a failed sign-in, so guessing is slowed and locked the same way).
    /// </summary>
    public async Task<Outcome<ErasureReceipt>> EraseAsync(Guid accountId, string? password, string? address, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(password))
        {
            return Refusal.Invalid("password", "Enter your password to erase your account.");
        }

        if (await accounts.FindByIdAsync(accountId, cancellationToken) is not { } account)
        {
            return new Refusal(CommonProblems.NotFound, "There is no such account.");
        }

        var signedIn = await signIns.SignInAsync(account.Handle, password, address, cancellationToken);
        if (signedIn.Refusal is { } refusal)
        {
            return refusal.Problem == IngestProblems.InvalidCredentials
                ? new Refusal(IngestProblems.PasswordIncorrect, "The password is wrong; nothing was erased.")
                : refusal;
        }

        var (receipt, orphanedMedia) = await EraseInTransactionAsync(account, address, cancellationToken);
        var deleted = 0;
        foreach (var sha256 in orphanedMedia)
        {
            deleted += await RemoveFilesAsync(sha256, cancellationToken) ? 1 : 0;
        }

        logger.LogInformation("Account erased ({Subject}): {Posts} posts tombstoned, {Media} images deleted", receipt.Subject, receipt.Posts, deleted);
        return receipt;
    }

    private async Task<(ErasureReceipt Receipt, IReadOnlyList<string> OrphanedMedia)> EraseInTransactionAsync(Account account, string? address,
        CancellationToken cancellationToken)
    {
        var id = account.Id;
        var subject = Subject(id);
        var erasedAt = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, "set local aisocial.erasure = 'on'", cancellationToken);

        // The account row first: a second erasure (or a sign-in) waits, then finds it erased.
        var handle = await ScalarAsync<string>(connection, "select handle from ingest.accounts where id = $1 and erased_at is null for update",
            cancellationToken, id);
        if (handle is null)
        {
            return (new ErasureReceipt(subject, erasedAt, 0, 0, 0), []);
        }

        var addresses = await AddressesAsync(connection, id, handle, address, cancellationToken);
        var mediaUsed = await ListAsync<string>(connection,
            """
            select media_sha256 from ingest.posts where author_id = $1 and media_sha256 is not null
            union select media_sha256 from ingest.generations where account_id = $1
            """, cancellationToken, id);

        // Posts: tombstoned as a deletion does (out of timelines, tags and remix counts), then emptied of every text.
        var posts = await PostEditor.TombstoneAsync(connection, id, null, cancellationToken);
        await ExecuteAsync(connection,
            """
            with history as (delete from ingest.post_edits where post_id in (select id from ingest.posts where author_id = $1))
            update ingest.posts set prompt = null, negative_prompt = null, caption = null, alt_text = null, tags = '{}', given_tags = '{}',
                content_warning = null, provenance = null, idempotency_key = null, request_fingerprint = null, generation_id = null
            where author_id = $1
            """, cancellationToken, id);

        // Comments others replied to stay as empty tombstones, so the replies keep their place; counts drop as a deletion's do.
        var comments = await ScalarAsync<long>(connection,
            """
            with gone as (
                update ingest.comments set body = '', deleted_at = coalesce(deleted_at, now())
                where author_id = $1
                returning id
            ), live as (
                select c.post_id, count(*) as n from ingest.comments c
                where c.author_id = $1 and c.deleted_at is null group by c.post_id
            ), counted as (
                update ingest.post_counters pc set comment_count = greatest(pc.comment_count - live.n, 0)
                from live where pc.post_id = live.post_id
            )
            select count(*) from gone
            """, cancellationToken, id);

        // One statement per counter: a statement must not update the same counter row twice (a post both liked and reposted).
        await ExecuteAsync(connection,
            """
            with likes as (delete from ingest.likes where account_id = $1 returning post_id)
            update ingest.post_counters pc set like_count = greatest(pc.like_count - 1, 0) from likes where pc.post_id = likes.post_id
            """, cancellationToken, id);
        await ExecuteAsync(connection,
            """
            with reposts as (delete from ingest.reposts where account_id = $1 returning post_id)
            update ingest.post_counters pc set repost_count = greatest(pc.repost_count - 1, 0) from reposts where pc.post_id = reposts.post_id
            """, cancellationToken, id);

        // Follows both ways, with the other side's counts; then blocks and mutes both ways.
        await ExecuteAsync(connection,
            """
            with followed as (delete from ingest.follows where follower_id = $1 returning followee_id)
            update ingest.account_counters ac set follower_count = greatest(ac.follower_count - 1, 0)
            from followed where ac.account_id = followed.followee_id
            """, cancellationToken, id);
        await ExecuteAsync(connection,
            """
            with following as (delete from ingest.follows where followee_id = $1 returning follower_id)
            update ingest.account_counters ac set following_count = greatest(ac.following_count - 1, 0)
            from following where ac.account_id = following.follower_id
            """, cancellationToken, id);
        await ExecuteAsync(connection,
            """
            with blocks as (delete from ingest.blocks where blocker_id = $1 or blocked_id = $1),
                 mutes as (delete from ingest.mutes where muter_id = $1 or muted_id = $1),
                 counters as (delete from ingest.account_counters where account_id = $1)
            delete from ingest.notifications
            where account_id = $1 or actor_id = $1
               or post_id in (select id from ingest.posts where author_id = $1)
               or comment_id in (select id from ingest.comments where author_id = $1)
            """, cancellationToken, id);

        // Reports they filed leave with the work queued for them; events they sent; generations (and their prompts).
        await ExecuteAsync(connection,
            """
            with reports as (delete from ingest.reports where reporter_id = $1 returning id),
                 queued as (delete from ingest.outbox where topic = 'report.submitted' and subject_id in (select id from reports)),
                 events as (delete from ingest.events where account_id = $1),
                 reservations as (delete from ingest.generation_reservations where account_id = $1)
            delete from ingest.generations where account_id = $1
            """, cancellationToken, id);

        // Signing in: tokens, console sessions, roles, and the failure counts kept under their handle and addresses.
        await ExecuteAsync(connection,
            """
            with tokens as (delete from ingest.access_tokens where account_id = $1),
                 sessions as (delete from ingest.staff_sessions where account_id = $1),
                 roles as (delete from ingest.account_roles where account_id = $1)
            delete from ingest.sign_in_failures where subject = 'account:' || $2 or subject = any($3)
            """, cancellationToken, id, handle, addresses.Select(a => $"address:{a}").ToArray());

        // The ledger withdraws what was granted (source 'erasure') and keeps the events under their pseudonym only.
        await ConsentLedger.ForgetAccountAsync(connection, id, cancellationToken);
        await RedactAuditLogAsync(connection, id, handle, account.DisplayName, addresses, cancellationToken);

        // The tombstone: a handle no one chose (the old one is free again), no name, no birth year, no usable password.
        await ExecuteAsync(connection,
            """
            update ingest.accounts set handle = 'erased_' || substr(md5(gen_random_uuid()::text), 1, 23), display_name = 'Erased account',
                birth_year = 1900, password_hash = '', security_stamp = gen_random_uuid(), suspended_at = null, suspended_reason = null,
                erased_at = $2
            where id = $1
            """, cancellationToken, id, erasedAt);
        await ExecuteAsync(connection, "insert into ingest.erasures (subject, erased_at) values ($1, $2) on conflict (subject) do nothing",
            cancellationToken, subject, erasedAt);

        var orphaned = await UnreferenceMediaAsync(connection, id, mediaUsed, cancellationToken);
        var receipt = new ErasureReceipt(subject, erasedAt, posts, (int)comments, orphaned.Count);
        await audit.AppendAsync(connection, new Actor(id, Erased), "account.erase", "erasure", subject,
            new { receipt.Posts, receipt.Comments, receipt.MediaDeleted }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (receipt, orphaned);
    }

    /// <summary>The client addresses the platform kept for the account: its console sessions and its failed sign-ins, and the one erasing now.</summary>
    private static async Task<string[]> AddressesAsync(NpgsqlConnection connection, Guid id, string handle, string? current,
        CancellationToken cancellationToken)
    {
        var addresses = await ListAsync<string>(connection,
            """
            select address from ingest.staff_sessions where account_id = $1 and address is not null
            union select client_address from ingest.consent_events where account_id = $1 and client_address is not null
            union select detail ->> 'address' from ingest.audit_log
            where subject_type = 'sign_in' and subject_id = 'account:' || $2 and detail ->> 'address' is not null
            """, cancellationToken, id, handle);
        return [.. addresses.Append(current).OfType<string>().Where(a => a.Length > 0).Distinct()];
    }

    /// <summary>
    /// Takes the person's handle, display name and addresses out of the audit entries about them (as actor, as subject,
    /// or by address). The entries stay, with what was done and when.
    /// </summary>
    private static async Task RedactAuditLogAsync(NpgsqlConnection connection, Guid id, string handle, string displayName, string[] addresses,
        CancellationToken cancellationToken)
    {
        var entries = new List<(long Id, string Actor, string SubjectId, string Detail)>();
        await using (var command = new NpgsqlCommand(
            """
            select id, actor, subject_id, detail::text from ingest.audit_log
            where actor_id = $1 or subject_id = $1::text or subject_id = 'account:' || $2 or subject_id = any($3) or detail ->> 'address' = any($4)
            """, connection))
        {
            command.Parameters.Add(new() { Value = id });
            command.Parameters.Add(new() { Value = handle });
            command.Parameters.Add(new() { Value = addresses.Select(a => $"address:{a}").ToArray() });
            command.Parameters.Add(new() { Value = addresses });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                entries.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            }
        }

        string[] personal = [.. new[] { handle, displayName }.Concat(addresses).Where(p => p.Length > 0).OrderByDescending(p => p.Length)];
        foreach (var entry in entries)
        {
            var detail = JsonNode.Parse(entry.Detail);
            var (actor, subjectId, redacted) = (Redact(entry.Actor, personal), Redact(entry.SubjectId, personal), RedactJson(detail, personal));
            if (actor == entry.Actor && subjectId == entry.SubjectId && JsonNode.DeepEquals(detail, redacted))
            {
                continue;
            }

            await using var update = new NpgsqlCommand("update ingest.audit_log set actor = $2, subject_id = $3, detail = $4 where id = $1", connection);
            update.Parameters.Add(new() { Value = entry.Id });
            update.Parameters.Add(new() { Value = actor });
            update.Parameters.Add(new() { Value = subjectId });
            update.Parameters.Add(new() { Value = redacted?.ToJsonString() ?? "{}", NpgsqlDbType = NpgsqlDbType.Jsonb });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static string Redact(string text, string[] personal) =>
        personal.Aggregate(text, (current, value) => current.Replace(value, Erased, StringComparison.OrdinalIgnoreCase));

    /// <summary>The JSON with every personal value taken out of its strings and property names.</summary>
    private static JsonNode? RedactJson(JsonNode? node, string[] personal)
    {
        if (node is not JsonObject obj)
        {
            return RedactValue(node, personal);
        }

        var redacted = new JsonObject();
        foreach (var (key, value) in obj)
        {
            // Two names that differ only in a personal value (two addresses) become one.
            redacted[Redact(key, personal)] = RedactJson(value, personal);
        }

        return redacted;
    }

    private static JsonNode? RedactValue(JsonNode? node, string[] personal) => node switch
    {
        JsonArray array => new JsonArray([.. array.Select(item => RedactJson(item, personal))]),
        JsonValue value when value.TryGetValue<string>(out var text) => JsonValue.Create(Redact(text, personal)),
        _ => node?.DeepClone(),
    };

    /// <summary>
    /// Unlinks the person's images from their tombstoned posts and deletes the rows of those nothing else uses (another
    /// author's post, deleted or not, or another account's generation): the files to delete once this commits.
    /// </summary>
    private static async Task<IReadOnlyList<string>> UnreferenceMediaAsync(NpgsqlConnection connection, Guid id, IReadOnlyList<string> used,
        CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "update ingest.posts set media_sha256 = null where author_id = $1 and media_sha256 is not null", cancellationToken, id);
        var orphaned = new List<string>();
        foreach (var sha256 in used.Order(StringComparer.Ordinal))
        {
            // The lock an upload of the same bytes takes while it places the file: it either committed (and its row is seen) or waits.
            await MediaStore.LockAsync(connection, sha256, exclusive: true, cancellationToken);
            var removed = await ScalarAsync<string>(connection,
                """
                delete from ingest.media m where m.sha256 = $1
                  and not exists (select 1 from ingest.posts p where p.media_sha256 = m.sha256)
                  and not exists (select 1 from ingest.generations g where g.media_sha256 = m.sha256)
                returning m.sha256
                """, cancellationToken, sha256);
            if (removed is not null)
            {
                orphaned.Add(removed);
            }
        }

        return orphaned;
    }

    /// <summary>Deletes an image's file and thumbnail unless, under its lock, a row for it has appeared since (an upload of the same bytes).</summary>
    private async Task<bool> RemoveFilesAsync(string sha256, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await MediaStore.LockAsync(connection, sha256, exclusive: true, cancellationToken);
        var referenced = await ScalarAsync<bool>(connection, "select exists (select 1 from ingest.media where sha256 = $1)", cancellationToken, sha256);
        if (!referenced)
        {
            File.Delete(media.PathFor(sha256));
            File.Delete(media.ThumbnailPathFor(sha256));
        }

        await transaction.CommitAsync(cancellationToken);
        return !referenced;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteScalarAsync(cancellationToken) is T value ? value : default;
    }

    private static async Task<List<T>> ListAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var values = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }

        return command;
    }
}
