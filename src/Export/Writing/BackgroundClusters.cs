using System.Threading.Channels;
using AiSocial.Moderation.HashBanks;

namespace AiSocial.Export.Writing;

/// <summary>
/// <see cref="NearDuplicateClusters.Add"/> on a thread of its own, in the order items are given: its index lookups (about
/// 50 µs a post at 100k, mostly waiting on memory) then overlap the reading, deciding and staging of the rows around
/// them instead of holding them up. Each item's answer (whether it stands for itself so far) comes back as a task.
/// </summary>
internal sealed class BackgroundClusters : IAsyncDisposable
{
    private readonly NearDuplicateClusters _clusters = new();
    private readonly Channel<Item> _items = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Task _worker;

    public BackgroundClusters() => _worker = Task.Run(async () =>
    {
        await foreach (var item in _items.Reader.ReadAllAsync())
        {
            try
            {
                item.Standalone.SetResult(_clusters.Add(item.Id, item.Sha256, item.Pdq, item.Dihedral));
            }
            catch (Exception exception)
            {
                item.Standalone.SetException(exception);
            }
        }
    });

    /// <summary>Queues an item; the task says what <see cref="NearDuplicateClusters.Add"/> answered for it.</summary>
    public Task<bool> Add(Guid id, string sha256, byte[]? pdq, byte[]? dihedral)
    {
        var standalone = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _items.Writer.TryWrite(new Item(id, sha256, pdq, dihedral, standalone));
        return standalone.Task;
    }

    /// <summary>Waits for every item queued so far and gives the clusters they make; nothing may be added after.</summary>
    public async Task<NearDuplicateClusters> CompleteAsync()
    {
        _items.Writer.TryComplete();
        await _worker;
        return _clusters;
    }

    /// <summary>Ends the worker when the pass ends early (it failed or was cancelled); its answers are not wanted then.</summary>
    public async ValueTask DisposeAsync()
    {
        _items.Writer.TryComplete();
        await _worker;
    }

    private sealed record Item(Guid Id, string Sha256, byte[]? Pdq, byte[]? Dihedral, TaskCompletionSource<bool> Standalone);
}
