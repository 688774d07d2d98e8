using System.Runtime.CompilerServices;
using AiSocial.Moderation.HashBanks;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Export.Writing;

/// <summary>
/// The hashes of a run's eligible posts in <c>export.run_hashes</c>, by position (their place in post-id order), streamed
/// in by binary COPY as the snapshot is read: what <see cref="NearDuplicateClusters"/> reads back to compare blocks that no
/// longer fit in memory, what exact copies are found from, and how a position names its post again.
/// </summary>
internal sealed class StagedHashes : RunStagingCopy
{
    public static Task<StagedHashes> OpenAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken) =>
        StartAsync(new StagedHashes(), dataSource, runId,
            "copy export.run_hashes (run_id, position, post_id, sha256, pdq, dihedral) from stdin (format binary)", cancellationToken);

    public async Task AddAsync(int position, Guid post, string sha256, byte[]? pdq, byte[]? dihedral, CancellationToken cancellationToken)
    {
        await StartRowAsync(cancellationToken);
        await Copy.WriteAsync(position, NpgsqlDbType.Integer, cancellationToken);
        await Copy.WriteAsync(post, NpgsqlDbType.Uuid, cancellationToken);
        await Copy.WriteAsync(Convert.FromHexString(sha256), NpgsqlDbType.Bytea, cancellationToken);
        await WriteOrNullAsync(pdq);
        await WriteOrNullAsync(dihedral);

        async Task WriteOrNullAsync(byte[]? value)
        {
            if (value is null)
            {
                await Copy.WriteNullAsync(cancellationToken);
            }
            else
            {
                await Copy.WriteAsync(value, NpgsqlDbType.Bytea, cancellationToken);
            }
        }
    }

    /// <summary>The staged items at positions <paramref name="from"/>..<paramref name="to"/> - 1, streamed in order.</summary>
    public static async IAsyncEnumerable<HashedItem> ReadAsync(NpgsqlDataSource dataSource, Guid runId, int from, int to,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "select position, pdq, dihedral from export.run_hashes where run_id = $1 and position >= $2 and position < $3 order by position");
        command.Parameters.Add(new() { Value = runId });
        command.Parameters.Add(new() { Value = from });
        command.Parameters.Add(new() { Value = to });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new HashedItem(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2));
        }
    }

    /// <summary>Links every item to the first item of the same file (equal SHA-256), found by sorting in the database.</summary>
    public static async Task LinkSameFilesAsync(NpgsqlDataSource dataSource, Guid runId, NearDuplicateClusters clusters, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select position, first from (
                select position, first_value(position) over (partition by sha256 order by position) as first
                from export.run_hashes where run_id = $1
            ) files
            where position <> first
            """);
        command.Parameters.Add(new() { Value = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            clusters.Link(reader.GetInt32(1), reader.GetInt32(0));
        }
    }

    /// <summary>
    /// Records the clusters in <c>export.run_duplicates</c> (each post left out as a copy, with the post whose row stands
    /// for it: kept with a published run, deleted with one that is not), takes the copies' rows out of the staged rows,
    /// and drops the hashes. Returns how many rows went, and what scrubbing had replaced in their text.
    /// </summary>
    public static async Task<(int Rows, ScrubCounts Scrubbed)> CollapseAsync(NpgsqlDataSource dataSource, Guid runId,
        IReadOnlyList<(int Position, int Representative)> duplicates, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            """
            insert into export.run_duplicates (run_id, post_id, kept_post_id)
            select $1, copy.post_id, kept.post_id
            from unnest($2::integer[], $3::integer[]) as d(position, kept)
            join export.run_hashes copy on copy.run_id = $1 and copy.position = d.position
            join export.run_hashes kept on kept.run_id = $1 and kept.position = d.kept
            """, connection))
        {
            command.Parameters.Add(new() { Value = runId });
            command.Parameters.Add(new() { Value = duplicates.Select(d => d.Position).ToArray() });
            command.Parameters.Add(new() { Value = duplicates.Select(d => d.Representative).ToArray() });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var removed = await StagedRows.RemoveDuplicatesAsync(connection, runId, cancellationToken);
        await using (var command = new NpgsqlCommand("delete from export.run_hashes where run_id = $1", connection))
        {
            command.Parameters.Add(new() { Value = runId });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return removed;
    }
}
