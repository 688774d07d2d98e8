using AiSocial.SafetyModels.Pdq;

namespace AiSocial.SafetyModels.Tests.Pdq;

public sealed class PdqIndexTests
{
    private static PdqHash RandomHash(Random random) =>
        new((ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63), (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63),
            (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63), (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63));

    private static PdqHash Flip(PdqHash hash, IEnumerable<int> bits)
    {
        var words = new ulong[4];
        foreach (var bit in bits)
        {
            words[bit >> 6] ^= 1UL << (bit & 63);
        }

        return hash ^ new PdqHash(words[0], words[1], words[2], words[3]);
    }

    private static PdqHash FlipRandom(PdqHash hash, int count, Random random) =>
        Flip(hash, Enumerable.Range(0, PdqHash.Bits).OrderBy(_ => random.Next()).Take(count));

    // The most an index of 16 chunks can be fooled: two bits in each of 15 chunks and one in the last, 31 in all.
    private static PdqHash FlipSpreadOut(PdqHash hash, int loneChunk) =>
        Flip(hash, Enumerable.Range(0, 16).SelectMany(chunk => chunk == loneChunk ? [chunk * 16 + 5] : new[] { chunk * 16 + 2, chunk * 16 + 11 }));

    private static List<PdqMatch> BruteForce(IReadOnlyList<(PdqHash Hash, long Id)> entries, PdqHash query, int maxDistance)
    {
        var matches = new List<PdqMatch>();
        for (var i = 0; i < entries.Count; i++)
        {
            var distance = query.DistanceTo(entries[i].Hash);
            if (distance <= maxDistance)
            {
                matches.Add(new PdqMatch(entries[i].Id, entries[i].Hash, distance));
            }
        }

        return [.. matches.OrderBy(m => m.Distance).ThenBy(m => m.Id)];
    }

    /// <summary>Random hashes, and around each query hashes planted at every distance from 0 to 40 (and spread out to fool the chunks).</summary>
    private static (List<(PdqHash Hash, long Id)> Entries, List<PdqHash> Queries) Dataset(int randomCount, int queryCount, int seed)
    {
        var random = new Random(seed);
        var entries = new List<(PdqHash, long)>(randomCount + (queryCount * 45));
        for (var i = 0; i < randomCount; i++)
        {
            entries.Add((RandomHash(random), entries.Count + 1));
        }

        var queries = new List<PdqHash>();
        for (var q = 0; q < queryCount; q++)
        {
            var query = RandomHash(random);
            queries.Add(query);
            for (var distance = 0; distance <= 40; distance++)
            {
                entries.Add((FlipRandom(query, distance, random), entries.Count + 1));
            }

            entries.Add((FlipSpreadOut(query, q % 16), entries.Count + 1));
            entries.Add((Flip(FlipSpreadOut(query, q % 16), [(q % 16 * 16) + 9]), entries.Count + 1)); // 32 bits: out of reach
        }

        // Near-duplicates of stored random hashes are queried too, and shuffled in among the rest.
        for (var q = 0; q < queryCount / 4; q++)
        {
            queries.Add(FlipRandom(entries[random.Next(randomCount)].Item1, random.Next(0, 36), random));
        }

        return ([.. entries.OrderBy(_ => random.Next())], queries);
    }

    [Fact]
    public void Finds_exactly_what_a_linear_scan_finds_among_200k_hashes()
    {
        var (entries, queries) = Dataset(200_000, 200, seed: 31);
        var index = new PdqIndex();
        index.AddRange([.. entries.Select(e => e.Hash)], [.. entries.Select(e => e.Id)]);

        Assert.Equal(entries.Count, index.Count);
        var found = 0;
        foreach (var query in queries)
        {
            var expected = BruteForce(entries, query, PdqIndex.DefaultMaxDistance);
            Assert.Equal(expected, index.Find(query));
            found += expected.Count;
        }

        // Each planted query has its 32 neighbours at 0–31 plus the spread-out one.
        Assert.True(found >= 200 * 33, $"{found} matches");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(40)]
    [InlineData(47)]
    [InlineData(52)]
    public void Other_distances_agree_with_a_linear_scan(int maxDistance)
    {
        var (entries, queries) = Dataset(20_000, 40, seed: maxDistance);
        var index = new PdqIndex();
        index.AddRange([.. entries.Select(e => e.Hash)], [.. entries.Select(e => e.Id)]);

        foreach (var query in queries)
        {
            Assert.Equal(BruteForce(entries, query, maxDistance), index.Find(query, maxDistance));
        }
    }

    [Fact]
    public void Entries_added_one_at_a_time_are_found_whether_or_not_the_tables_were_rebuilt_yet()
    {
        var (entries, queries) = Dataset(30_000, 30, seed: 7);
        var index = new PdqIndex();
        var added = new List<(PdqHash Hash, long Id)>();
        foreach (var (batch, number) in entries.Chunk(997).Select((batch, number) => (batch, number)))
        {
            if (number % 2 == 0)
            {
                index.AddRange([.. batch.Select(e => e.Hash)], [.. batch.Select(e => e.Id)]);
            }
            else
            {
                foreach (var (hash, id) in batch)
                {
                    index.Add(hash, id);
                }
            }

            added.AddRange(batch);
            var query = queries[number % queries.Count];
            Assert.Equal(BruteForce(added, query, PdqIndex.DefaultMaxDistance), index.Find(query));
        }
    }

    [Fact]
    public async Task Readers_running_while_entries_are_added_see_at_least_what_was_added_before_they_began()
    {
        var (entries, queries) = Dataset(40_000, 20, seed: 11);
        var index = new PdqIndex();
        var addedSoFar = 0;
        var reader = Task.Run(() =>
        {
            var checks = 0;
            while (Volatile.Read(ref addedSoFar) < entries.Count || checks == 0)
            {
                var before = Volatile.Read(ref addedSoFar);
                var query = queries[checks++ % queries.Count];
                var found = index.Find(query).Select(m => m.Id).ToHashSet();
                var expected = BruteForce(entries.Take(before).ToList(), query, PdqIndex.DefaultMaxDistance);
                Assert.All(expected, m => Assert.Contains(m.Id, found));
            }

            return checks;
        });

        foreach (var batch in entries.Chunk(500))
        {
            index.AddRange([.. batch.Select(e => e.Hash)], [.. batch.Select(e => e.Id)]);
            Interlocked.Add(ref addedSoFar, batch.Length);
        }

        Assert.True(await reader.WaitAsync(TimeSpan.FromMinutes(1)) > 0);
        Assert.Equal(BruteForce(entries, queries[0], PdqIndex.DefaultMaxDistance), index.Find(queries[0]));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var index = new PdqIndex();

        Assert.Empty(index.Find(default));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Find(default, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Find(default, 257));
        Assert.Throws<ArgumentException>(() => index.AddRange([default, default], [1]));
        Assert.Equal(0, index.Count);
    }
}
