using AiSocial.SafetyModels.Pdq;

namespace AiSocial.Moderation.HashBanks;

/// <summary>
/// Groups images that are the same file (equal SHA-256) or near-duplicates (PDQ distance at most <see cref="MaxDistance"/>,
/// found through the same <see cref="PdqIndex"/> the hash banks use), linking transitively. Items are added in the
/// order that decides representatives: the first of a cluster represents it. Holds only hashes and positions.
/// </summary>
public sealed class NearDuplicateClusters
{
    public const int MaxDistance = PdqIndex.DefaultMaxDistance;

    private readonly PdqIndex _index = new();
    private readonly Dictionary<UInt128, int> _bySha256 = [];
    private readonly List<Guid> _ids = [];
    private readonly List<int> _parent = [];
    private readonly List<Guid> _demoted = [];

    public int Count => _ids.Count;

    /// <summary>
    /// Adds an item; <paramref name="pdq"/> is the stored 32-byte PDQ hash, or null when none was computed (then only
    /// exact copies match). With <paramref name="dihedral"/> (the eight dihedral hashes, 256 bytes) the item is looked
    /// for under each, so a rotated or mirrored copy of an earlier item joins its cluster; only <paramref name="pdq"/> is indexed.
    /// Returns whether the item stands for itself so far: false when it is a copy of an earlier item. An item near two
    /// clusters joins them, and the later cluster's first item becomes a copy too: see <see cref="Demoted"/>.
    /// </summary>
    public bool Add(Guid id, string sha256, byte[]? pdq, byte[]? dihedral = null)
    {
        var position = _ids.Count;
        _ids.Add(id);
        _parent.Add(position);
        var file = UInt128.Parse(sha256.AsSpan(0, 32), System.Globalization.NumberStyles.HexNumber);
        if (_bySha256.TryGetValue(file, out var same))
        {
            Union(same, position);
            return false; // the same bytes have the same PDQ hash, already indexed
        }

        _bySha256[file] = position;
        if (pdq is not { Length: 32 })
        {
            return true;
        }

        var hash = PdqHash.Parse(Convert.ToHexStringLower(pdq));
        // With the eight dihedral hashes, eight lookups that only read the index and mostly wait on memory (about 18 µs
        // each at 100k entries): side by side they take half the time on two cores. The unions, which write, come after.
        var found = new IReadOnlyList<PdqMatch>[dihedral is { Length: 256 } ? 8 : 1];
        if (found.Length == 1)
        {
            found[0] = _index.Find(hash, MaxDistance);
        }
        else
        {
            Parallel.For(0, 8, i => found[i] = _index.Find(PdqHash.Parse(Convert.ToHexStringLower(dihedral.AsSpan(i * 32, 32))), MaxDistance));
        }

        foreach (var match in found.SelectMany(f => f))
        {
            Union((int)match.Id, position);
        }

        _index.Add(hash, position);
        return _parent[position] == position;
    }

    /// <summary>
    /// Items that stood for themselves when added and are copies now, in the order they became so: the first item of a
    /// cluster that a later item joined to an earlier cluster. Rare (it takes an item near two items that are not near
    /// each other); a caller that acted on <see cref="Add"/>'s answer undoes it for these.
    /// </summary>
    public IReadOnlyList<Guid> Demoted => _demoted;

    /// <summary>Every item that is not its cluster's representative, with that representative.</summary>
    public IReadOnlyDictionary<Guid, Guid> Duplicates()
    {
        var duplicates = new Dictionary<Guid, Guid>();
        for (var i = 0; i < _ids.Count; i++)
        {
            if (Root(i) is var root && root != i)
            {
                duplicates[_ids[i]] = _ids[root];
            }
        }

        return duplicates;
    }

    /// <summary>How many clusters have more than one item.</summary>
    public int Clusters()
    {
        var roots = new HashSet<int>();
        for (var i = 0; i < _ids.Count; i++)
        {
            if (Root(i) is var root && root != i)
            {
                roots.Add(root);
            }
        }

        return roots.Count;
    }

    private int Root(int i)
    {
        while (_parent[i] != i)
        {
            _parent[i] = _parent[_parent[i]];
            i = _parent[i];
        }

        return i;
    }

    // The earlier item stays the root, so the cluster's representative is always its first.
    private void Union(int a, int b)
    {
        var (ra, rb) = (Root(a), Root(b));
        if (ra != rb)
        {
            var (first, later) = (Math.Min(ra, rb), Math.Max(ra, rb));
            _parent[later] = first;
            if (later != _ids.Count - 1)
            {
                _demoted.Add(_ids[later]); // an earlier item's cluster, not the item being added
            }
        }
    }
}
