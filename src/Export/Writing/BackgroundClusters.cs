using System.Threading.Channels;
using AiSocial.Moderation.HashBanks;

namespace AiSocial.Export.Writing;

/// <summary>
/// <see cref="NearDuplicateClusters.Add"/> on a thread of its own, in the order items are given: its index lookups (about
/// 50 µs a post at 100k, mostly waiting on memory) then overlap the reading, deciding and staging of the rows around
/// them instead of holding them up.
/// </summary>
internal sealed class BackgroundClusters : IAsyncDisposable
{
    /// <summary>Items waiting for the worker, at most (a few hundred KB of hashes): past that the pass waits for it.</summary>
    private const int QueuedAtMost = 1024;

    private readonly NearDuplicateClusters _clusters;
    private readonly Channel<(byte[]? Pdq, byte[]? Dihedral)> _items =
        Channel.CreateBounded<(byte[]?, byte[]?)>(new BoundedChannelOptions(QueuedAtMost) { SingleReader = true, SingleWriter = true });

    private readonly Task _worker;

    public BackgroundClusters(int blockSize)
    {
        _clusters = new NearDuplicateClusters(blockSize);
        _worker = Task.Run(async () =>
        {
            try
            {
                await foreach (var (pdq, dihedral) in _items.Reader.ReadAllAsync())
                {
                    _clusters.Add(pdq, dihedral);
                }
            }
            catch (Exception exception)
            {
                _items.Writer.TryComplete(exception); // the pass's next add fails with it instead of waiting for room
                throw;
            }
        });
    }

    /// <summary>Queues the next item; its position is the number queued before it.</summary>
    public ValueTask AddAsync(byte[]? pdq, byte[]? dihedral, CancellationToken cancellationToken) =>
        _items.Writer.WriteAsync((pdq, dihedral), cancellationToken);

    /// <summary>Waits for every item queued so far and gives the clusters they make; nothing may be added after.</summary>
    public async Task<NearDuplicateClusters> CompleteAsync()
    {
        _items.Writer.TryComplete();
        await _worker;
        return _clusters;
    }

    /// <summary>Ends the worker when the pass ends early (it failed or was cancelled); its clusters are not wanted then.</summary>
    public async ValueTask DisposeAsync()
    {
        _items.Writer.TryComplete();
        try
        {
            await _worker;
        }
        catch (Exception)
        {
            // A failure in the worker surfaces from CompleteAsync; a pass that ended early has its own error to report.
        }
    }
}
