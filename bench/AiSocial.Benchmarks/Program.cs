using AiSocial.Benchmarks;

switch (args.FirstOrDefault())
{
    case "models":
        return ModelBenchmarks.Run();
    case "feed":
        return EventBenchmarks.Run();
    default:
        Console.Error.WriteLine("usage: aisocial bench models|feed");
        return 2;
}
