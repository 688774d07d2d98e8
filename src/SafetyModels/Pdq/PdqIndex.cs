using System.Numerics;

namespace AiSocial.SafetyModels.Pdq;

/// <summary>A stored hash within the asked distance of a query.</summary>
public readonly record struct PdqMatch(long Id, PdqHash Hash, int Distance);

/// <summary>
/// Finds every stored hash within a Hamming distance of a query, by multi-index hashing (Norouzi et al.): the 256 bits
/// are cut into 16 chunks of 16 bits, each with its own table from chunk value to entries. Two hashes at distance
/// d ≤ 16r + 15 agree to within r bits on at least one chunk (pigeonhole), so probing every chunk value within r bits
/// of the query's finds all of them; candidates are then checked on all 256 bits. For the usual distance 31, r is 1:
/// 17 probes per table. Distances of 48 and more (r ≥ 3) are answered by a linear scan.
/// <para>
/// Thread-safe: <see cref="Find"/> calls run concurrently with one another and see every entry whose add returned
/// before they began; an add excludes them while it runs (briefly, unless it rebuilds the tables: about 0.3 s of CPU
/// at a million entries, once per 1/32 growth).
/// </para>
/// </summary>
public sealed class PdqIndex
{
    public const int DefaultMaxDistance = 31;

    private const int Chunks = 16;
    private const int ChunkValues = 1 << 16;
    private const int MaxProbeRadius = 2;

    // Every 16-bit mask of at most MaxProbeRadius bits, fewest bits first: the first 1, 17 or 137 are radius 0, 1, 2.
    private static readonly ushort[] ProbeMasks = BuildProbeMasks();
    private static readonly int[] ProbeCounts = [1, 1 + 16, 1 + 16 + 120];

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private PdqHash[] _hashes = [];
    private long[] _ids = [];
    private int _count;

    // The first _indexed entries are in the chunk tables (CSR layout, one table per chunk: entry positions sorted by
    // chunk value, and where each value's run starts); the rest, the tail, are checked one by one until the next rebuild.
    private int _indexed;
    private int[] _starts = [];
    private int[] _positions = [];

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    public void Add(PdqHash hash, long id) => AddRange([hash], [id]);

    /// <summary>Adds many entries at once, rebuilding the tables at most once. Ids need not be unique.</summary>
    public void AddRange(ReadOnlySpan<PdqHash> hashes, ReadOnlySpan<long> ids)
    {
        if (hashes.Length != ids.Length)
        {
            throw new ArgumentException($"{hashes.Length} hashes but {ids.Length} ids.", nameof(ids));
        }

        _lock.EnterWriteLock();
        try
        {
            EnsureCapacity(_count + hashes.Length);
            hashes.CopyTo(_hashes.AsSpan(_count));
            ids.CopyTo(_ids.AsSpan(_count));
            _count += hashes.Length;
            // A tail of up to 1/32 of the indexed entries (at least 4096) costs a query less than its probes do.
            if (_count - _indexed > Math.Max(4096, _indexed / 32))
            {
                Rebuild();
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Every stored entry within <paramref name="maxDistance"/> bits of <paramref name="query"/>, nearest first (then by id).</summary>
    public IReadOnlyList<PdqMatch> Find(PdqHash query, int maxDistance = DefaultMaxDistance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDistance, PdqHash.Bits);
        List<PdqMatch>? matches = null;
        _lock.EnterReadLock();
        try
        {
            var radius = maxDistance / Chunks;
            if (radius > MaxProbeRadius)
            {
                Scan(query, maxDistance, 0, _count, ref matches);
            }
            else
            {
                if (_indexed > 0)
                {
                    Probe(query, maxDistance, radius, ref matches);
                }

                Scan(query, maxDistance, _indexed, _count, ref matches);
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        if (matches is null)
        {
            return [];
        }

        matches.Sort(static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Id.CompareTo(b.Id));
        return matches;
    }

    private void Probe(PdqHash query, int maxDistance, int radius, ref List<PdqMatch>? matches)
    {
        var (hashes, ids) = (_hashes, _ids);
        var probes = ProbeMasks.AsSpan(0, ProbeCounts[radius]);
        for (var chunk = 0; chunk < Chunks; chunk++)
        {
            // Each probe's run is checked where it lies: runs are a few entries long, and copying them out first (so
            // the hash reads overlap) cost a quarter of a lookup in memmove calls and overlapped no better.
            var value = query.Chunk(chunk);
            var starts = _starts.AsSpan(chunk * (ChunkValues + 1), ChunkValues + 1);
            var positions = _positions.AsSpan(chunk * _indexed, _indexed);
            foreach (var mask in probes)
            {
                var probe = value ^ mask;
                foreach (var position in positions[starts[probe]..starts[probe + 1]])
                {
                    var distance = query.DistanceTo(hashes[position]);
                    // An entry close enough to be found through an earlier chunk was reported there.
                    if (distance <= maxDistance && !FoundEarlier(query, hashes[position], chunk, radius))
                    {
                        (matches ??= []).Add(new PdqMatch(ids[position], hashes[position], distance));
                    }
                }
            }
        }
    }

    private static bool FoundEarlier(PdqHash query, PdqHash hash, int chunk, int radius)
    {
        for (var earlier = 0; earlier < chunk; earlier++)
        {
            if (BitOperations.PopCount((uint)(query.Chunk(earlier) ^ hash.Chunk(earlier))) <= radius)
            {
                return true;
            }
        }

        return false;
    }

    private void Scan(PdqHash query, int maxDistance, int from, int to, ref List<PdqMatch>? matches)
    {
        var hashes = _hashes.AsSpan(from, to - from);
        for (var i = 0; i < hashes.Length; i++)
        {
            var distance = query.DistanceTo(hashes[i]);
            if (distance <= maxDistance)
            {
                (matches ??= []).Add(new PdqMatch(_ids[from + i], hashes[i], distance));
            }
        }
    }

    // Counting sort of all entries by each chunk's value. Builds new arrays, so it is safe under the write lock alone.
    private void Rebuild()
    {
        var count = _count;
        var starts = new int[Chunks * (ChunkValues + 1)];
        var positions = new int[Chunks * count];
        var hashes = _hashes.AsSpan(0, count);
        for (var chunk = 0; chunk < Chunks; chunk++)
        {
            var tableStarts = starts.AsSpan(chunk * (ChunkValues + 1), ChunkValues + 1);
            foreach (var hash in hashes)
            {
                tableStarts[hash.Chunk(chunk) + 1]++;
            }

            for (var value = 1; value <= ChunkValues; value++)
            {
                tableStarts[value] += tableStarts[value - 1];
            }

            // Fill each value's run from its start, then shift the starts back into place.
            var tablePositions = positions.AsSpan(chunk * count, count);
            for (var position = 0; position < count; position++)
            {
                tablePositions[tableStarts[hashes[position].Chunk(chunk)]++] = position;
            }

            for (var value = ChunkValues; value > 0; value--)
            {
                tableStarts[value] = tableStarts[value - 1];
            }

            tableStarts[0] = 0;
        }

        (_starts, _positions, _indexed) = (starts, positions, count);
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _hashes.Length)
        {
            return;
        }

        var capacity = Math.Max(needed, Math.Max(1024, _hashes.Length * 2));
        Array.Resize(ref _hashes, capacity);
        Array.Resize(ref _ids, capacity);
    }

    private static ushort[] BuildProbeMasks()
    {
        var masks = new List<ushort> { 0 };
        for (var bit = 0; bit < 16; bit++)
        {
            masks.Add((ushort)(1 << bit));
        }

        for (var first = 0; first < 16; first++)
        {
            for (var second = first + 1; second < 16; second++)
            {
                masks.Add((ushort)((1 << first) | (1 << second)));
            }
        }

        return [.. masks];
    }
}
