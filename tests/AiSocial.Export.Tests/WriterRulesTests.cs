using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Export.Writing;
using AiSocial.Moderation.HashBanks;

namespace AiSocial.Export.Tests;

public sealed class WriterRulesTests
{
    private static readonly List<Guid> Posts = [.. Enumerable.Range(0, 3000).Select(i => new Guid(i, 7, 7, [1, 2, 3, 4, 5, 6, 7, 8]))];

    [Fact]
    public void Writers_at_once_keep_ten_times_their_row_groups_within_the_budget()
    {
        var spec = new DatasetSpec { Name = "n", Description = "d" };
        var budget = DatasetWriter.WriterMemoryBudget;

        foreach (var rowGroupMb in new[] { 1, 8, 32, 64, 100 })
        {
            var writers = DatasetWriter.RangesAtOnce(spec with { RowGroupMb = rowGroupMb });
            Assert.InRange(writers, 1, Math.Max(1, Environment.ProcessorCount));
            Assert.True(writers == 1 || writers * DatasetWriter.RssPerRowGroupByte * rowGroupMb * 1024L * 1024 <= budget,
                $"{writers} writers of {rowGroupMb} MB row groups");
        }

        Assert.Equal(1, DatasetWriter.RangesAtOnce(spec with { RowGroupMb = 100 }));
        Assert.Equal(Math.Min(2, Environment.ProcessorCount), DatasetWriter.RangesAtOnce(spec));
    }

    [Fact]
    public void Splits_follow_the_ratios_and_removing_rows_never_moves_another()
    {
        var keys = new RowKeys("a-salt-of-sixteen-or-more");
        var ratios = new DatasetSplits { Train = 0.7, Validation = 0.2, Test = 0.1 };
        var all = Posts.ToDictionary(p => p, p => keys.Split(keys.RowKey(p), ratios));

        var counts = all.Values.CountBy(s => s).ToDictionary();
        Assert.InRange(counts[RowKeys.Train] / 3000.0, 0.66, 0.74);
        Assert.InRange(counts[RowKeys.Validation] / 3000.0, 0.17, 0.23);
        Assert.InRange(counts[RowKeys.Test] / 3000.0, 0.08, 0.12);

        var kept = Posts.Where((_, i) => i % 3 != 0).ToList();
        Assert.All(kept, p => Assert.Equal(all[p], new RowKeys("a-salt-of-sixteen-or-more").Split(keys.RowKey(p), ratios)));
    }

    [Fact]
    public void Row_keys_and_author_pseudonyms_depend_on_the_salt_only()
    {
        var post = Posts[0];
        var a = new RowKeys("a-salt-of-sixteen-or-more");
        var b = new RowKeys("another-salt-of-sixteen");

        Assert.Equal(a.RowKey(post), new RowKeys("a-salt-of-sixteen-or-more").RowKey(post));
        Assert.NotEqual(a.RowKey(post), b.RowKey(post));
        Assert.Matches("^[0-9a-f]{32}$", a.RowKey(post));
        Assert.NotEqual(a.AuthorId(post), b.AuthorId(post));
        Assert.DoesNotContain(post.ToString("N"), a.AuthorId(post));
    }

    [Fact]
    public void Every_exclusion_has_a_revocation_reason_the_table_accepts()
    {
        string[] accepted = ["consent_withdrawn", "creator_optout", "erasure", "moderation", "report", "deleted"];

        Assert.All(ExclusionReasons.InOrder, reason => Assert.Contains(RevocationReasons.For(reason), accepted));
        Assert.Equal(RevocationReasons.Erasure, RevocationReasons.For(ExclusionReasons.AuthorErased));
        Assert.Equal(RevocationReasons.CreatorOptOut, RevocationReasons.For(ExclusionReasons.CreatorOptOutWork));
        Assert.Equal(RevocationReasons.Report, RevocationReasons.For(ExclusionReasons.OpenReports));
    }

    [Theory]
    [InlineData("write to a.b+c@mail.example.org today", "write to [email] today", TextScrubber.Emails)]
    [InlineData("call 020 7946 0958 now", "call [phone] now", TextScrubber.Phones)]
    [InlineData("call +44 20 7946 0958", "call [phone]", TextScrubber.Phones)]
    [InlineData("see www.example.com/page and", "see [url] and", TextScrubber.Urls)]
    [InlineData("by @some_artist, ok", "by [handle], ok", TextScrubber.Handles)]
    public void Personal_details_become_a_placeholder_of_their_kind(string text, string scrubbed, string kind)
    {
        var scrubber = new TextScrubber();

        Assert.Equal(scrubbed, scrubber.Scrub(text));
        Assert.Equal(1, scrubber.Counts[kind]);
        Assert.Equal(1, scrubber.Counts.Values.Sum());
    }

    [Theory]
    [InlineData("a castle at dawn, 8k, seed 1234567890")]
    [InlineData("made on 2026-11-01 at 12:30")]
    [InlineData("a cat @ the window")]
    public void Ordinary_prompts_are_left_alone(string text)
    {
        var scrubber = new TextScrubber();

        Assert.Equal(text, scrubber.Scrub(text));
        Assert.Equal(0, scrubber.Counts.Values.Sum());
    }

    private static byte[] Flipped(byte[] hash, int from, int bits)
    {
        var copy = (byte[])hash.Clone();
        for (var bit = from; bit < from + bits; bit++)
        {
            copy[bit / 8 % 32] ^= (byte)(1 << (bit % 8));
        }

        return copy;
    }

    [Fact]
    public void Copies_join_the_cluster_of_their_earliest_item_even_through_a_chain()
    {
        var clusters = new NearDuplicateClusters();
        var hash = new byte[32];

        clusters.Add(hash);
        clusters.Add(Flipped(hash, 0, 20)); // near the first
        clusters.Add(Enumerable.Repeat((byte)0xFF, 32).ToArray()); // unrelated
        clusters.Add(null); // the first's very file, with no hash: linked by the caller
        clusters.Link(0, 3);
        clusters.Add(Flipped(hash, 0, 45)); // near the second only

        Assert.Equal([(1, 0), (3, 0), (4, 0)], clusters.Duplicates());
        Assert.Equal(1, clusters.Clusters());
    }

    [Fact]
    public void An_item_near_two_clusters_joins_them_under_the_earliest_item()
    {
        var clusters = new NearDuplicateClusters();
        var hash = new byte[32];

        clusters.Add(hash);
        clusters.Add(Flipped(hash, 0, 40)); // 40 bits from the first: a cluster of its own
        clusters.Add(Flipped(hash, 0, 20)); // 20 bits from each
        clusters.Add(null);
        clusters.Link(1, 3); // the second's very file

        Assert.Equal([(1, 0), (2, 0), (3, 0)], clusters.Duplicates());
        Assert.Equal(1, clusters.Clusters());
    }

    /// <summary>Every pair compared bit by bit: a later item is a copy when its hash, or one of its dihedral hashes, is near an earlier item's.</summary>
    private static List<(int Position, int Representative)> Oracle(List<HashedItem> items)
    {
        static int Distance(byte[] a, ReadOnlySpan<byte> b)
        {
            var bits = 0;
            for (var i = 0; i < 32; i++)
            {
                bits += System.Numerics.BitOperations.PopCount((uint)(a[i] ^ b[i]));
            }

            return bits;
        }

        var representative = Enumerable.Range(0, items.Count).ToArray();
        int Root(int i) => representative[i] == i ? i : Root(representative[i]);
        for (var later = 0; later < items.Count; later++)
        {
            for (var earlier = 0; earlier < later; earlier++)
            {
                if (items[earlier].Pdq is not { } hash || items[later].Pdq is null)
                {
                    continue;
                }

                var queries = items[later].Dihedral is { } dihedral ? Enumerable.Range(0, 8).Select(d => dihedral[(d * 32)..((d + 1) * 32)]) : [items[later].Pdq!];
                if (queries.Any(q => Distance(hash, q) <= NearDuplicateClusters.MaxDistance) && Root(earlier) is var a && Root(later) is var b && a != b)
                {
                    representative[Math.Max(a, b)] = Math.Min(a, b);
                }
            }
        }

        return [.. Enumerable.Range(0, items.Count).Where(i => Root(i) != i).Select(i => (i, Root(i)))];
    }

    /// <summary>
    /// Random families of near copies (some turned, found only through their dihedral hashes), scattered so that copies
    /// fall in other blocks than their originals: the clusters are the same whatever the block, and the index never holds
    /// more than one block.
    /// </summary>
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public async Task Clusters_found_a_block_at_a_time_equal_those_found_in_one_pass(int seed)
    {
        var random = new Random(seed);
        var items = new List<HashedItem>();
        var originals = new List<byte[]>();
        for (var position = 0; position < 600; position++)
        {
            byte[]? pdq;
            byte[]? dihedral = null;
            var roll = random.Next(10);
            if (roll < 4 || originals.Count == 0)
            {
                pdq = new byte[32];
                random.NextBytes(pdq);
                originals.Add(pdq);
            }
            else if (roll < 8)
            {
                pdq = Flipped(originals[random.Next(originals.Count)], random.Next(256), random.Next(0, 32)); // near, or just too far
            }
            else if (roll < 9)
            {
                // A turned copy: its own hash is far from the original, one of its dihedral hashes is near it.
                pdq = new byte[32];
                random.NextBytes(pdq);
                dihedral = new byte[256];
                random.NextBytes(dihedral);
                Flipped(originals[random.Next(originals.Count)], random.Next(256), random.Next(0, 31)).CopyTo(dihedral, 32 * random.Next(8));
            }
            else
            {
                pdq = null; // no hash: joins nothing but the file links
            }

            items.Add(new HashedItem(position, pdq, dihedral));
        }

        async Task<NearDuplicateClusters> ClusterAsync(int blockSize)
        {
            var clusters = new NearDuplicateClusters(blockSize);
            foreach (var item in items)
            {
                clusters.Add(item.Pdq, item.Dihedral);
            }

            await clusters.LinkAcrossBlocksAsync((from, to) => items.Skip(from).Take(to - from).ToAsyncEnumerable(), default);
            Assert.InRange(clusters.PeakIndexed, 1, blockSize);
            return clusters;
        }

        var whole = await ClusterAsync(items.Count);
        Assert.Equal(Oracle(items), whole.Duplicates());
        Assert.InRange(whole.Duplicates().Count, 100, 500);
        foreach (var blockSize in new[] { 2, 7, 64, 599 })
        {
            var blocks = await ClusterAsync(blockSize);
            Assert.Equal(whole.Duplicates(), blocks.Duplicates());
            Assert.Equal(whole.Clusters(), blocks.Clusters());
        }
    }
}
