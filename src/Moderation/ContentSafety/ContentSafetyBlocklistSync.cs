using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;

namespace AiSocial.Moderation.ContentSafety;

/// <summary>What one sync did: whether it created the list, items added, removed and kept, and terms too long for the service.</summary>
public sealed record BlocklistSyncReport(bool Created, int Added, int Removed, int Kept, int Skipped);

/// <summary>
/// Copies <c>moderation.prompt_blocklist</c> to the service's blocklist (<see cref="ContentSafetyOptions.BlocklistName"/>),
/// so text analysis flags the same terms the prompt gate refuses. Each run compares the service's items (every page)
/// with the table by normalised term: it creates the list when missing, adds what is new, removes by id what was
/// deleted (and duplicates), and changes nothing when both agree, so running it twice is running it once.
/// </summary>
public sealed class ContentSafetyBlocklistSync(
    ContentSafetyClient client, NpgsqlDataSource dataSource, IOptions<ContentSafetyOptions> options, ILogger<ContentSafetyBlocklistSync> logger)
{
    /// <summary>The longest item text the service takes; longer terms are left out and counted as skipped.</summary>
    public const int MaxItemLength = 128;

    public const string Description = "AiSocial's prompt blocklist, synchronised from moderation.prompt_blocklist.";

    public async Task<BlocklistSyncReport> RunAsync(CancellationToken cancellationToken)
    {
        var name = options.Value.BlocklistName;
        try
        {
            var report = await SyncAsync(name, cancellationToken);
            logger.LogInformation("Content Safety blocklist {Blocklist} synchronised: {Report}", name, report);
            return report;
        }
        catch (Exception exception) when (exception is ContentSafetyException or NpgsqlException)
        {
            await RecordFailureAsync(name, exception.Message, CancellationToken.None);
            throw;
        }
    }

    private async Task<BlocklistSyncReport> SyncAsync(string name, CancellationToken cancellationToken)
    {
        var created = false;
        if (await client.GetBlocklistAsync(name, cancellationToken) is null)
        {
            created = await client.CreateOrUpdateBlocklistAsync(name, Description, cancellationToken);
        }

        var wanted = await WantedTermsAsync(cancellationToken);
        var remote = created ? [] : await client.ListBlocklistItemsAsync(name, cancellationToken);

        var kept = new List<TextBlocklistItem>();
        var remove = new List<string>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in remote)
        {
            var key = item.Text.ToLowerInvariant();
            if (item.BlocklistItemId is { } id && (!wanted.Terms.ContainsKey(key) || !present.Add(key)))
            {
                remove.Add(id);
            }
            else
            {
                kept.Add(item);
            }
        }

        var add = wanted.Terms.Where(term => !present.Contains(term.Key))
            .Select(term => new TextBlocklistItem(null, term.Key, term.Value))
            .ToList();
        var added = add.Count > 0 ? await client.AddOrUpdateBlocklistItemsAsync(name, add, cancellationToken) : [];
        if (remove.Count > 0)
        {
            await client.RemoveBlocklistItemsAsync(name, remove, cancellationToken);
        }

        var report = new BlocklistSyncReport(created, add.Count, remove.Count, kept.Count, wanted.Skipped);
        await RecordSuccessAsync(name, [.. kept, .. added], report, cancellationToken);
        return report;
    }

    /// <summary>The table's terms in their normalised form (what the gate matches), with their rule as the description.</summary>
    private async Task<(Dictionary<string, string> Terms, int Skipped)> WantedTermsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select normalized, rule from moderation.prompt_blocklist order by id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var terms = new Dictionary<string, string>(StringComparer.Ordinal);
        var skipped = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            var term = reader.GetString(0);
            if (term.Length > MaxItemLength)
            {
                skipped++;
                continue;
            }

            terms.TryAdd(term.ToLowerInvariant(), reader.GetString(1));
        }

        return (terms, skipped);
    }

    private async Task RecordSuccessAsync(string name, IReadOnlyList<TextBlocklistItem> items, BlocklistSyncReport report, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var delete = new NpgsqlCommand("delete from moderation.content_safety_blocklist_items where blocklist_name = $1", connection))
        {
            delete.Parameters.Add(new() { Value = name });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        var stored = items.Where(i => i.BlocklistItemId is not null).DistinctBy(i => i.BlocklistItemId).ToList();
        await using (var insert = new NpgsqlCommand(
            """
            insert into moderation.content_safety_blocklist_items (blocklist_name, item_id, text, description)
            select $1, i.item_id, i.text, i.description from unnest($2::text[], $3::text[], $4::text[]) as i (item_id, text, description)
            """, connection))
        {
            insert.Parameters.Add(new() { Value = name });
            insert.Parameters.Add(new() { Value = stored.Select(i => i.BlocklistItemId!).ToArray() });
            insert.Parameters.Add(new() { Value = stored.Select(i => i.Text).ToArray() });
            insert.Parameters.Add(new() { Value = stored.Select(i => i.Description).ToArray() });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var upsert = new NpgsqlCommand(
            """
            insert into moderation.content_safety_blocklist_syncs (blocklist_name, last_run_at, last_success_at, created, added, removed, kept, skipped, last_error)
            values ($1, now(), now(), $2, $3, $4, $5, $6, null)
            on conflict (blocklist_name) do update set last_run_at = now(), last_success_at = now(), created = excluded.created,
                added = excluded.added, removed = excluded.removed, kept = excluded.kept, skipped = excluded.skipped, last_error = null
            """, connection))
        {
            upsert.Parameters.Add(new() { Value = name });
            upsert.Parameters.Add(new() { Value = report.Created });
            upsert.Parameters.Add(new() { Value = report.Added });
            upsert.Parameters.Add(new() { Value = report.Removed });
            upsert.Parameters.Add(new() { Value = report.Kept });
            upsert.Parameters.Add(new() { Value = report.Skipped });
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private async Task RecordFailureAsync(string name, string error, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand(
                """
                insert into moderation.content_safety_blocklist_syncs (blocklist_name, last_run_at, last_error) values ($1, now(), $2)
                on conflict (blocklist_name) do update set last_run_at = now(), last_error = excluded.last_error
                """);
            command.Parameters.Add(new() { Value = name });
            command.Parameters.Add(new() { Value = error });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (NpgsqlException exception)
        {
            logger.LogWarning(exception, "The failed blocklist sync could not be recorded");
        }
    }
}

/// <summary>Runs <see cref="ContentSafetyBlocklistSync"/> every <see cref="ContentSafetyOptions.BlocklistSyncMinutes"/>; one run at a time across the cluster.</summary>
[DisallowConcurrentExecution]
internal sealed class ContentSafetyBlocklistSyncJob(ContentSafetyBlocklistSync sync, ILogger<ContentSafetyBlocklistSyncJob> logger) : IJob
{
    public static readonly JobKey Key = new("content-safety-blocklist-sync", "moderation");
    public static readonly TriggerKey TriggerKey = new("content-safety-blocklist-sync.interval", "moderation");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await sync.RunAsync(cancellationToken);
        }
        catch (ContentSafetyException exception)
        {
            // The next firing tries again; the failure is recorded in moderation.content_safety_blocklist_syncs.
            logger.LogWarning(exception, "Content Safety blocklist sync failed");
        }
    }
}
