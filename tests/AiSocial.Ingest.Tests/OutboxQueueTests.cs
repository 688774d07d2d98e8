using AiSocial.Ingest.Outbox;
using AiSocial.Testing;

namespace AiSocial.Ingest.Tests;

public sealed class OutboxQueueTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private const string Topic = "test.topic";

    private OutboxQueue Queue => platform.Get<OutboxQueue>();

    private async Task<List<Guid>> EnqueueAsync(int count, string topic = Topic)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToList();
        await using var connection = await platform.DataSource.OpenConnectionAsync();
        foreach (var id in ids)
        {
            await OutboxQueue.EnqueueAsync(connection, topic, id, default);
        }

        return ids;
    }

    [Fact]
    public async Task Workers_leasing_at_once_never_get_the_same_message()
    {
        var ids = await EnqueueAsync(40);

        var leases = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() => Queue.LeaseAsync(Topic, 15, TimeSpan.FromMinutes(1), $"worker-{i}", default))));

        var leased = leases.SelectMany(l => l).Select(m => m.SubjectId).ToList();
        Assert.Equal(leased.Count, leased.Distinct().Count());
        Assert.Equal(ids.Order(), leased.Order());
        Assert.Empty(await Queue.LeaseAsync(Topic, 10, TimeSpan.FromMinutes(1), "late", default));
    }

    [Fact]
    public async Task An_expired_lease_is_taken_again_and_the_old_owner_cannot_complete_it()
    {
        var topic = $"expiring-{Guid.NewGuid():N}";
        await EnqueueAsync(1, topic);

        var first = Assert.Single(await Queue.LeaseAsync(topic, 1, TimeSpan.FromMinutes(1), "crashed", default));
        await platform.ExecuteAsync("update ingest.outbox set leased_until = now() - interval '1 second' where id = $1", first.Id);
        var second = Assert.Single(await Queue.LeaseAsync(topic, 1, TimeSpan.FromMinutes(1), "survivor", default));

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(2, second.Attempts);
        await using var connection2 = await platform.DataSource.OpenConnectionAsync();
        Assert.False(await OutboxQueue.CompleteAsync(connection2, first, default));
        Assert.True(await OutboxQueue.CompleteAsync(connection2, second, default));
        Assert.Empty(await Queue.LeaseAsync(topic, 1, TimeSpan.FromMinutes(1), "anyone", default));
    }

    [Fact]
    public async Task A_message_given_back_waits_for_its_delay_and_keeps_the_error()
    {
        var topic = $"retry-{Guid.NewGuid():N}";
        await EnqueueAsync(1, topic);

        var message = Assert.Single(await Queue.LeaseAsync(topic, 1, TimeSpan.FromMinutes(1), "w", default));
        await Queue.RetryLaterAsync(message, TimeSpan.FromHours(1), "service down", default);

        Assert.Empty(await Queue.LeaseAsync(topic, 1, TimeSpan.FromMinutes(1), "w", default));
        Assert.Equal("service down", await platform.ScalarAsync<string>("select last_error from ingest.outbox where id = $1", message.Id));
        await platform.ExecuteAsync("update ingest.outbox set available_at = now() where id = $1", message.Id);
        Assert.Single(await Queue.LeaseAsync(topic, 1, TimeSpan.FromMinutes(1), "w", default));
    }
}
