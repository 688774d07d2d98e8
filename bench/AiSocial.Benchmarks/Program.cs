using AiSocial.Benchmarks;

switch (args.FirstOrDefault())
{
    case "models":
        return ModelBenchmarks.Run();
    default:
        Console.Error.WriteLine("usage: aisocial bench models");
        return 2;
}
