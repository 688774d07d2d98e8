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

    [Fact]
    public void Copies_join_the_cluster_of_their_earliest_item_even_through_a_chain()
    {
        var clusters = new NearDuplicateClusters();
        var hash = new byte[32];
        byte[] Flip(int bits)
        {
            var copy = (byte[])hash.Clone();
            for (var i = 0; i < bits; i++)
            {
                copy[i / 8] ^= (byte)(1 << (i % 8));
            }

            return copy;
        }

        var far = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        clusters.Add(Posts[0], new string('a', 64), hash);
        clusters.Add(Posts[1], new string('b', 64), Flip(20)); // near the first
        clusters.Add(Posts[2], new string('c', 64), far); // unrelated
        clusters.Add(Posts[3], new string('a', 64), null); // the first's very file
        clusters.Add(Posts[4], new string('d', 64), Flip(45)); // near the second only

        var duplicates = clusters.Duplicates();
        Assert.Equal(new Dictionary<Guid, Guid> { [Posts[1]] = Posts[0], [Posts[3]] = Posts[0], [Posts[4]] = Posts[0] }.OrderBy(d => d.Key),
            duplicates.OrderBy(d => d.Key));
        Assert.Equal(1, clusters.Clusters());
        Assert.Empty(clusters.Demoted);
    }

    [Fact]
    public void An_item_near_two_clusters_joins_them_and_the_later_clusters_first_item_is_demoted()
    {
        var clusters = new NearDuplicateClusters();
        byte[] Hash(int flipped)
        {
            var hash = new byte[32];
            for (var bit = 0; bit < flipped; bit++)
            {
                hash[bit / 8] ^= (byte)(1 << (bit % 8));
            }

            return hash;
        }

        Assert.True(clusters.Add(Posts[0], new string('a', 64), Hash(0)));
        Assert.True(clusters.Add(Posts[1], new string('b', 64), Hash(40))); // 40 bits from the first: a cluster of its own
        Assert.False(clusters.Add(Posts[2], new string('c', 64), Hash(20))); // 20 bits from each
        Assert.False(clusters.Add(Posts[3], new string('b', 64), null)); // the second's very file

        Assert.Equal([Posts[1]], clusters.Demoted);
        Assert.Equal(new Dictionary<Guid, Guid> { [Posts[1]] = Posts[0], [Posts[2]] = Posts[0], [Posts[3]] = Posts[0] }.OrderBy(d => d.Key),
            clusters.Duplicates().OrderBy(d => d.Key));
    }
}
