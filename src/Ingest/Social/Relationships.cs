using AiSocial.Ingest.Accounts;
using AiSocial.Problems;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Ingest.Social;

/// <summary>How the viewer stands to another account.</summary>
public sealed record Relationship(string Handle, bool Following, bool FollowedBy, bool Blocking, bool Muting);

/// <summary>An account as others see it, with its counts and, for a signed-in viewer, how they stand to it.</summary>
public sealed record Profile(Guid Id, string Handle, string DisplayName, DateTimeOffset JoinedAt, long FollowerCount, long FollowingCount,
    long PostCount, Relationship? Viewer);

/// <summary>
/// Follows, blocks and mutes between accounts. A block works both ways: it ends follows in both directions, and while it
/// lasts neither account can follow the other. A mute only hides the muted account from the muter.
/// </summary>
public sealed class Relationships(NpgsqlDataSource dataSource)
{
    private enum Change
    {
        Follow,
        Unfollow,
        Block,
        Unblock,
        Mute,
        Unmute,
    }

    public Task<Outcome<Relationship>> FollowAsync(Guid viewerId, string handle, CancellationToken cancellationToken) =>
        ChangeAsync(viewerId, handle, Change.Follow, cancellationToken);

    public Task<Outcome<Relationship>> UnfollowAsync(Guid viewerId, string handle, CancellationToken cancellationToken) =>
        ChangeAsync(viewerId, handle, Change.Unfollow, cancellationToken);

    public Task<Outcome<Relationship>> BlockAsync(Guid viewerId, string handle, CancellationToken cancellationToken) =>
        ChangeAsync(viewerId, handle, Change.Block, cancellationToken);

    public Task<Outcome<Relationship>> UnblockAsync(Guid viewerId, string handle, CancellationToken cancellationToken) =>
        ChangeAsync(viewerId, handle, Change.Unblock, cancellationToken);

    public Task<Outcome<Relationship>> MuteAsync(Guid viewerId, string handle, CancellationToken cancellationToken) =>
        ChangeAsync(viewerId, handle, Change.Mute, cancellationToken);

    public Task<Outcome<Relationship>> UnmuteAsync(Guid viewerId, string handle, CancellationToken cancellationToken) =>
        ChangeAsync(viewerId, handle, Change.Unmute, cancellationToken);

    /// <summary>
    /// The account with this handle; null when there is none, or when it blocks <paramref name="viewerId"/> (who then sees
    /// nothing of it). The post count is of published posts that are not deleted.
    /// </summary>
    public async Task<Profile?> ProfileAsync(string handle, Guid? viewerId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            select a.id, a.handle, a.display_name, a.created_at, coalesce(c.follower_count, 0), coalesce(c.following_count, 0),
                   (select count(*) from ingest.posts p where p.author_id = a.id and p.status = 'published' and p.deleted_at is null)
            from ingest.accounts a
            left join ingest.account_counters c on c.account_id = a.id
            where a.handle = $1
              and ($2::uuid is null or not exists (select 1 from ingest.blocks b where b.blocker_id = a.id and b.blocked_id = $2))
            """, connection);
        command.Parameters.Add(new() { Value = AccountRegistry.NormalizeHandle(handle) });
        command.Parameters.Add(new() { Value = (object?)viewerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        Profile profile;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            profile = new Profile(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), null);
        }

        return viewerId is { } viewer && viewer != profile.Id
            ? profile with { Viewer = await ReadAsync(connection, viewer, profile.Id, profile.Handle, cancellationToken) }
            : profile;
    }

    private async Task<Outcome<Relationship>> ChangeAsync(Guid viewerId, string handle, Change change, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        Guid targetId;
        string targetHandle;
        await using (var command = new NpgsqlCommand("select id, handle from ingest.accounts where handle = $1", connection))
        {
            command.Parameters.Add(new() { Value = AccountRegistry.NormalizeHandle(handle) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new Refusal(CommonProblems.NotFound, $"There is no account @{handle}.");
            }

            (targetId, targetHandle) = (reader.GetGuid(0), reader.GetString(1));
        }

        if (targetId == viewerId)
        {
            return new Refusal(IngestProblems.SelfInteraction, $"You cannot {change.ToString().ToLowerInvariant()} yourself.");
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await SocialSql.LockPairAsync(connection, viewerId, targetId, exclusive: true, cancellationToken);
        switch (change)
        {
            case Change.Follow:
                if (await BlockedBetweenAsync(connection, viewerId, targetId, cancellationToken))
                {
                    return new Refusal(IngestProblems.Blocked, $"You cannot follow @{targetHandle}: one of you blocks the other.");
                }

                if (await ExecuteAsync(connection, "insert into ingest.follows (follower_id, followee_id) values ($1, $2) on conflict do nothing",
                        viewerId, targetId, cancellationToken) == 1)
                {
                    await SocialSql.AdjustAccountCountersAsync(connection, [(viewerId, 0, 1), (targetId, 1, 0)], cancellationToken);
                    await NotificationInbox.AddAsync(connection, targetId, NotificationKind.Follow, viewerId, null, null, reply: false, cancellationToken);
                }

                break;
            case Change.Unfollow:
                if (await ExecuteAsync(connection, "delete from ingest.follows where follower_id = $1 and followee_id = $2",
                        viewerId, targetId, cancellationToken) == 1)
                {
                    await SocialSql.AdjustAccountCountersAsync(connection, [(viewerId, 0, -1), (targetId, -1, 0)], cancellationToken);
                    await NotificationInbox.RetractUnreadAsync(connection, targetId, NotificationKind.Follow, viewerId, null, cancellationToken);
                }

                break;
            case Change.Block:
                await ExecuteAsync(connection, "insert into ingest.blocks (blocker_id, blocked_id) values ($1, $2) on conflict do nothing",
                    viewerId, targetId, cancellationToken);
                await EndFollowsAsync(connection, viewerId, targetId, cancellationToken);
                break;
            case Change.Unblock:
                await ExecuteAsync(connection, "delete from ingest.blocks where blocker_id = $1 and blocked_id = $2", viewerId, targetId, cancellationToken);
                break;
            case Change.Mute:
                await ExecuteAsync(connection, "insert into ingest.mutes (muter_id, muted_id) values ($1, $2) on conflict do nothing",
                    viewerId, targetId, cancellationToken);
                break;
            case Change.Unmute:
                await ExecuteAsync(connection, "delete from ingest.mutes where muter_id = $1 and muted_id = $2", viewerId, targetId, cancellationToken);
                break;
        }

        var relationship = await ReadAsync(connection, viewerId, targetId, targetHandle, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return relationship;
    }

    // Both directions end; the counts of both accounts follow.
    private static async Task EndFollowsAsync(NpgsqlConnection connection, Guid a, Guid b, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            delete from ingest.follows where (follower_id = $1 and followee_id = $2) or (follower_id = $2 and followee_id = $1)
            returning follower_id, followee_id
            """, connection);
        command.Parameters.Add(new() { Value = a });
        command.Parameters.Add(new() { Value = b });
        var changes = new List<(Guid, long, long)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                changes.Add((reader.GetGuid(0), 0, -1));
                changes.Add((reader.GetGuid(1), -1, 0));
            }
        }

        await SocialSql.AdjustAccountCountersAsync(connection, changes, cancellationToken);
    }

    private static async Task<bool> BlockedBetweenAsync(NpgsqlConnection connection, Guid a, Guid b, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select ingest.blocked_between($1, $2)", connection);
        command.Parameters.Add(new() { Value = a });
        command.Parameters.Add(new() { Value = b });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, Guid a, Guid b, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new() { Value = a });
        command.Parameters.Add(new() { Value = b });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<Relationship> ReadAsync(NpgsqlConnection connection, Guid viewerId, Guid targetId, string targetHandle,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            select exists (select 1 from ingest.follows where follower_id = $1 and followee_id = $2),
                   exists (select 1 from ingest.follows where follower_id = $2 and followee_id = $1),
                   exists (select 1 from ingest.blocks where blocker_id = $1 and blocked_id = $2),
                   exists (select 1 from ingest.mutes where muter_id = $1 and muted_id = $2)
            """, connection);
        command.Parameters.Add(new() { Value = viewerId });
        command.Parameters.Add(new() { Value = targetId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new Relationship(targetHandle, reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3));
    }
}
