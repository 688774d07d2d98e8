using AiSocial.Benchmarks;

switch (args.FirstOrDefault())
{
    case "models":
        return ModelBenchmarks.Run();
    case "feed" when args.ElementAtOrDefault(1) == "timelines":
        return await TimelineBenchmarks.RunAsync(args[2..]);
    default:
        Console.Error.WriteLine("usage: aisocial bench models | feed timelines [--posts 100000,1000000] [--rate 200] [--seconds 20]");
        return 2;
}
