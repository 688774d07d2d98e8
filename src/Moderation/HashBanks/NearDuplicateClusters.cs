using System.Runtime.InteropServices;
using AiSocial.SafetyModels.Pdq;

namespace AiSocial.Moderation.HashBanks;

/// <summary>A hashed item as <see cref="NearDuplicateClusters.LinkAcrossBlocksAsync"/> reads it back: its place, PDQ hash and dihedral hashes.</summary>
public readonly record struct HashedItem(int Position, byte[]? Pdq, byte[]? Dihedral);

/// <summary>
/// Groups items by position (0, 1, 2… in the order that decides representatives) into clusters of near-duplicates: a
/// later item whose PDQ hash, or any of its eight dihedral hashes, is within <see cref="MaxDistance"/> of an earlier
/// item's, found through the same <see cref="PdqIndex"/> the hash banks use, or that the caller <see cref="Link"/>s (the
/// same file, by SHA-256). Links are transitive and the first item of a cluster represents it.
/// <para>
/// Memory does not grow with the number of items. The index holds one block of at most <c>blockSize</c> items at a time
/// (about 110 bytes an item): items are compared with the earlier items of their block as they are added, and once
/// every item is in, each closed block is indexed again from the caller's store and every later item read past it
/// (<see cref="LinkAcrossBlocksAsync"/>), which costs nothing while the items fit one block. Only the items a link made
/// copies are remembered (a parent each), so the clusters take memory in the number of copies, not of items.
/// </para>
/// </summary>
public sealed class NearDuplicateClusters(int blockSize = NearDuplicateClusters.DefaultBlockSize)
{
    public const int MaxDistance = PdqIndex.DefaultMaxDistance;

    /// <summary>About 110 MB of index at most; a dataset of that many eligible posts (with 100 KB images, 100 GB) is compared in one pass.</summary>
    public const int DefaultBlockSize = 1 << 20;

    // A copy's earlier item in its cluster, towards the root (the cluster's first item); representatives have no entry.
    private readonly Dictionary<int, int> _parent = [];
    private PdqIndex _block = new();
    private int _blockStart;

    public int BlockSize { get; } = blockSize > 0 ? blockSize : throw new ArgumentOutOfRangeException(nameof(blockSize));

    /// <summary>How many items were added: the next one's position.</summary>
    public int Count { get; private set; }

    /// <summary>The most hashes the index held at once: never more than <see cref="BlockSize"/>.</summary>
    public int PeakIndexed { get; private set; }

    /// <summary>
    /// Adds the item at position <see cref="Count"/>; <paramref name="pdq"/> is its 32-byte PDQ hash, or null when none
    /// was computed (then only <see cref="Link"/> can join it). With <paramref name="dihedral"/> (the eight dihedral hashes,
    /// 256 bytes) it is looked for under each, so a rotated or mirrored copy of an earlier item joins its cluster.
    /// </summary>
    public void Add(byte[]? pdq, byte[]? dihedral = null)
    {
        var position = Count++;
        if (position - _blockStart == BlockSize)
        {
            (_block, _blockStart) = (new PdqIndex(), position);
        }

        if (Parse(pdq) is not { } hash)
        {
            return;
        }

        foreach (var match in Find(_block, hash, dihedral))
        {
            Link((int)match.Id, position);
        }

        _block.Add(hash, position);
        PeakIndexed = Math.Max(PeakIndexed, _block.Count);
    }

    /// <summary>Puts two items in one cluster (the same file, say).</summary>
    public void Link(int earlier, int later)
    {
        var (a, b) = (Root(earlier), Root(later));
        if (a != b)
        {
            // The earlier root stays the root, so the cluster's representative is always its first item.
            _parent[Math.Max(a, b)] = Math.Min(a, b);
        }
    }

    /// <summary>
    /// Compares each block that closed while adding with every item after it: the block's hashes are indexed again from
    /// <paramref name="read"/> (items <c>from</c>..<c>to - 1</c>, in any order), then every later item is looked for in
    /// them. Call once, after the last <see cref="Add"/>; nothing is read when the items fit one block.
    /// </summary>
    public async Task LinkAcrossBlocksAsync(Func<int, int, IAsyncEnumerable<HashedItem>> read, CancellationToken cancellationToken)
    {
        _block = new PdqIndex(); // the last block's index is not needed again
        for (var start = 0; start + BlockSize < Count; start += BlockSize)
        {
            var index = await IndexAsync(read(start, start + BlockSize), cancellationToken);
            PeakIndexed = Math.Max(PeakIndexed, index.Count);
            await foreach (var item in read(start + BlockSize, Count).WithCancellation(cancellationToken))
            {
                if (Parse(item.Pdq) is { } hash)
                {
                    foreach (var match in Find(index, hash, item.Dihedral))
                    {
                        Link((int)match.Id, item.Position);
                    }
                }
            }
        }
    }

    private async Task<PdqIndex> IndexAsync(IAsyncEnumerable<HashedItem> items, CancellationToken cancellationToken)
    {
        var (hashes, positions) = (new List<PdqHash>(BlockSize), new List<long>(BlockSize));
        await foreach (var item in items.WithCancellation(cancellationToken))
        {
            if (Parse(item.Pdq) is { } hash)
            {
                hashes.Add(hash);
                positions.Add(item.Position);
            }
        }

        var index = new PdqIndex();
        index.AddRange(CollectionsMarshal.AsSpan(hashes), CollectionsMarshal.AsSpan(positions)); // one build of the tables, not one per 1/32 of growth
        return index;
    }

    /// <summary>Every item that is not its cluster's representative, with that representative, by position.</summary>
    public IReadOnlyList<(int Position, int Representative)> Duplicates() =>
        [.. _parent.Keys.Order().Select(position => (position, Root(position)))];

    /// <summary>How many clusters have more than one item.</summary>
    public int Clusters() => _parent.Keys.Select(Root).Distinct().Count();

    private int Root(int position)
    {
        while (_parent.TryGetValue(position, out var parent))
        {
            if (_parent.TryGetValue(parent, out var grandparent))
            {
                _parent[position] = grandparent; // halve the path
                position = grandparent;
            }
            else
            {
                return parent;
            }
        }

        return position;
    }

    private static PdqHash? Parse(byte[]? pdq) => pdq is { Length: 32 } ? PdqHash.Parse(Convert.ToHexStringLower(pdq)) : null;

    // With the eight dihedral hashes, eight lookups that only read the index and mostly wait on memory (about 18 µs each
    // at 100k entries): side by side they take half the time on two cores.
    private static IEnumerable<PdqMatch> Find(PdqIndex index, PdqHash hash, byte[]? dihedral)
    {
        if (dihedral is not { Length: 256 })
        {
            return index.Find(hash, MaxDistance);
        }

        var found = new IReadOnlyList<PdqMatch>[8];
        Parallel.For(0, 8, i => found[i] = index.Find(PdqHash.Parse(Convert.ToHexStringLower(dihedral.AsSpan(i * 32, 32))), MaxDistance));
        return found.SelectMany(f => f);
    }
}
