using System.Text.Json;
using Npgsql;

namespace AiSocial.Moderation.Checks;

/// <summary>Signals per post. Saving upserts by (source, model version, category), so a rescan replaces, never duplicates.</summary>
public sealed class SignalStore(NpgsqlDataSource dataSource)
{
    /// <summary>Saves a post's signals in one statement, on the caller's connection.</summary>
    public static async Task SaveAsync(NpgsqlConnection connection, Guid postId, IReadOnlyList<Signal> signals, CancellationToken cancellationToken) =>
        await SaveAsync(connection, postId, signals, shadow: false, cancellationToken);

    /// <summary>Saves signals of checks that run in <paramref name="shadow"/> (recorded, never acted on) or live.</summary>
    public static async Task SaveAsync(NpgsqlConnection connection, Guid postId, IReadOnlyList<Signal> signals, bool shadow, CancellationToken cancellationToken)
    {
        // One row per key: a statement cannot upsert the same row twice.
        var rows = signals.GroupBy(s => (s.Source, s.ModelVersion, s.Category)).Select(g => g.Last()).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand(
            """
            insert into moderation.signals (post_id, source, model_version, category, score, detail, severity, shadow)
            select $1, s.source, s.model_version, s.category, s.score, s.detail::jsonb, s.severity, $8
            from unnest($2::text[], $3::text[], $4::text[], $5::real[], $6::text[], $7::smallint[]) as s (source, model_version, category, score, detail, severity)
            on conflict (post_id, source, model_version, category)
            do update set score = excluded.score, detail = excluded.detail, severity = excluded.severity, shadow = excluded.shadow, created_at = now()
            """, connection);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = rows.Select(s => s.Source).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(s => s.ModelVersion).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(s => s.Category).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(s => (float)Math.Clamp(s.Score, 0, 1)).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(s => s.Detail is { } detail ? detail.GetRawText() : "{}").ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(s => s.Severity is { } level ? (short?)level : null).ToArray() });
        command.Parameters.Add(new() { Value = shadow });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<ILookup<Guid, Signal>> ForPostsAsync(IReadOnlyCollection<Guid> postIds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select post_id, source, model_version, category, score, detail, severity
            from moderation.signals where post_id = any($1) and not shadow order by post_id, source, category
            """);
        command.Parameters.Add(new() { Value = postIds.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<(Guid PostId, Signal Signal)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetGuid(0), new Signal(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFloat(4),
                JsonElement.Parse(reader.GetString(5)), reader.IsDBNull(6) ? null : reader.GetInt16(6))));
        }

        return rows.ToLookup(r => r.PostId, r => r.Signal);
    }
}
