namespace AiSocial.Benchmarks;

/// <summary>Throughput of the safety models through the project's own code, as ratios against references run in the same process.</summary>
public static class ModelBenchmarks
{
    public static int Run()
    {
        Console.Error.WriteLine("The model benchmarks arrive with the models they measure.");
        return 1;
    }
}
