using System.Diagnostics;

namespace AiSocial.Benchmarks;

/// <summary>Throughput of one piece of work: warm up, then repeat until enough time has passed, and keep the best run.</summary>
public static class Measure
{
    public sealed record Rate(string Name, double ItemsPerSecond, string Unit)
    {
        public override string ToString() => $"{Name,-52} {ItemsPerSecond,12:N1} {Unit}/s";
    }

    /// <summary>Runs <paramref name="work"/> (which handles <paramref name="items"/> items) repeatedly; the best of the rounds counts.</summary>
    public static Rate Run(string name, string unit, int items, Action work, int rounds = 5, double minSecondsPerRound = 0.5)
    {
        work(); // warm-up: JIT, ONNX Runtime's first-run allocations, caches
        var best = 0.0;
        for (var round = 0; round < rounds; round++)
        {
            var stopwatch = Stopwatch.StartNew();
            var done = 0;
            do
            {
                work();
                done += items;
            }
            while (stopwatch.Elapsed.TotalSeconds < minSecondsPerRound);

            best = Math.Max(best, done / stopwatch.Elapsed.TotalSeconds);
        }

        var rate = new Rate(name, best, unit);
        Console.WriteLine($"  {rate}");
        return rate;
    }

    public static void Ratio(string what, Rate numerator, Rate denominator) =>
        Console.WriteLine($"  {"ratio " + what,-52} {numerator.ItemsPerSecond / denominator.ItemsPerSecond,12:N2}x");
}
