using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Moderation.Checks;

/// <summary>Signals per post. Saving upserts by (source, model version, category), so a rescan replaces, never duplicates.</summary>
public sealed class SignalStore(NpgsqlDataSource dataSource)
{
    public static async Task SaveAsync(NpgsqlConnection connection, Guid postId, IReadOnlyList<Signal> signals, CancellationToken cancellationToken)
    {
        foreach (var signal in signals)
        {
            await using var command = new NpgsqlCommand(
                """
                insert into moderation.signals (post_id, source, model_version, category, score, detail)
                values ($1, $2, $3, $4, $5, $6)
                on conflict (post_id, source, model_version, category)
                do update set score = excluded.score, detail = excluded.detail, created_at = now()
                """, connection);
            command.Parameters.Add(new() { Value = postId });
            command.Parameters.Add(new() { Value = signal.Source });
            command.Parameters.Add(new() { Value = signal.ModelVersion });
            command.Parameters.Add(new() { Value = signal.Category });
            command.Parameters.Add(new() { Value = (float)Math.Clamp(signal.Score, 0, 1) });
            command.Parameters.Add(new() { Value = signal.Detail is { } detail ? detail.GetRawText() : "{}", NpgsqlDbType = NpgsqlDbType.Jsonb });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task<ILookup<Guid, Signal>> ForPostsAsync(IReadOnlyCollection<Guid> postIds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select post_id, source, model_version, category, score, detail
            from moderation.signals where post_id = any($1) order by post_id, source, category
            """);
        command.Parameters.Add(new() { Value = postIds.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<(Guid PostId, Signal Signal)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetGuid(0), new Signal(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFloat(4),
                JsonElement.Parse(reader.GetString(5)))));
        }

        return rows.ToLookup(r => r.PostId, r => r.Signal);
    }
}
