using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using AiSocial.Moderation.HashBanks;

namespace AiSocial.Benchmarks;

/// <summary>
/// The export plan's near-duplicate pass alone (<see cref="NearDuplicateClusters"/>), at sizes beyond what the export
/// benchmark can seed on this disk: N generated PDQ hashes, one in ten a near copy (up to 24 bits flipped) of a random
/// earlier one, so copies land in other blocks than their originals. Each size runs twice in this process: in blocks of
/// B (what a run does) and, the reference, all in one block (what a run did before blocks: an index that grows with the
/// dataset). Hashes are regenerated from their position when read back, as a run reads them back from PostgreSQL, so
/// nothing but the clusters holds them. Memory is the live managed heap (after a full collection) at its highest: once
/// per block while it is compared with the later hashes, and at the end.
/// </summary>
public static class DedupeBenchmarks
{
    public static async Task<int> RunAsync(string[] args)
    {
        int[] sizes = [250_000, 500_000, 1_000_000];
        var block = 125_000;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--posts" && i + 1 < args.Length)
            {
                sizes = [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
            }
            else if (args[i] == "--block" && i + 1 < args.Length && int.TryParse(args[++i], out var b) && b >= 2)
            {
                block = b;
            }
            else
            {
                Console.Error.WriteLine("usage: aisocial bench dedupe [--posts 250000,500000,1000000] [--block 125000]");
                return 2;
            }
        }

        Console.WriteLine($"Near-duplicate clusters of N generated PDQ hashes, one in ten a near copy of an earlier one; blocks of {block:N0} " +
                          $"against one block ({Environment.ProcessorCount} cores)");
        Console.WriteLine($"  {"N",10} {"side",-12} {"seconds",8} {"copies",9} {"clusters",9} {"indexed at most",16} {"live heap, MiB",15}");
        foreach (var size in sizes)
        {
            var blocks = await MeasureAsync(size, block);
            var whole = await MeasureAsync(size, size);
            Print(size, $"blocks", blocks);
            Print(size, "one block", whole);
            Console.WriteLine($"  {size,10:N0} {"ratio",-12} {blocks.Seconds / whole.Seconds,7:N2}x {"",9} {"",9} {"",16} {blocks.PeakHeap / (double)whole.PeakHeap,14:N2}x");
            if (blocks.Copies != whole.Copies || blocks.Clusters != whole.Clusters)
            {
                Console.Error.WriteLine($"The clusters differ: {blocks.Copies} copies in {blocks.Clusters} clusters by blocks, {whole.Copies} in {whole.Clusters} in one.");
                return 1;
            }
        }

        return 0;
    }

    private sealed record Measured(double Seconds, int Copies, int Clusters, int PeakIndexed, long PeakHeap);

    private static void Print(int size, string side, Measured m) =>
        Console.WriteLine($"  {size,10:N0} {side,-12} {m.Seconds,8:N1} {m.Copies,9:N0} {m.Clusters,9:N0} {m.PeakIndexed,16:N0} {m.PeakHeap / 1048576.0,15:N1}");

    private static async Task<Measured> MeasureAsync(int size, int blockSize)
    {
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = 0L;
        void Sample() => peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);

        var stopwatch = Stopwatch.StartNew();
        var clusters = new NearDuplicateClusters(blockSize);
        for (var position = 0; position < size; position++)
        {
            clusters.Add(Hash(position));
            if ((position + 1) % blockSize == 0)
            {
                Sample(); // the block's index is full
            }
        }

        await clusters.LinkAcrossBlocksAsync((from, to) => ReadAsync(from, to, from > 0 && from % blockSize == 0 ? Sample : null), default);
        Sample();
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var copies = clusters.Duplicates().Count;
        return new Measured(seconds, copies, clusters.Clusters(), clusters.PeakIndexed, peak);
    }

    // The later items of a block's comparison start at the block's end: sampled then, with the block's index built.
    private static async IAsyncEnumerable<HashedItem> ReadAsync(int from, int to, Action? started)
    {
        started?.Invoke();
        for (var position = from; position < to; position++)
        {
            yield return new HashedItem(position, Hash(position), null);
        }

        await Task.CompletedTask;
    }

    /// <summary>The hash at a position: 256 pseudo-random bits, or for one position in ten a near copy of an earlier one.</summary>
    private static byte[] Hash(int position)
    {
        var seed = Mix((ulong)position);
        if (position > 0 && seed % 10 == 0)
        {
            var copy = Hash((int)(Mix(seed) % (ulong)position));
            var flips = (int)(Mix(seed + 1) % 25);
            for (var i = 0; i < flips; i++)
            {
                var bit = (int)(Mix(seed + 2 + (ulong)i) % 256);
                copy[bit / 8] ^= (byte)(1 << (bit % 8));
            }

            return copy;
        }

        var hash = new byte[32];
        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(hash.AsSpan(i * 8), Mix(seed + (ulong)i * 0x9E3779B97F4A7C15));
        }

        return hash;
    }

    // SplitMix64's finaliser.
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }
}
