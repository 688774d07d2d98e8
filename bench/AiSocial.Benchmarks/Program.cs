using AiSocial.Benchmarks;

switch (args.FirstOrDefault())
{
    case "models":
        return ModelBenchmarks.Run();
    case "scan":
        return await ScanBenchmarks.RunAsync();
    case "export":
        return await ExportBenchmarks.RunAsync(args[1..]);
    case "dedupe":
        return await DedupeBenchmarks.RunAsync(args[1..]);
    case "export-run": // the process `export` measures the run in
        return await ExportBenchmarks.RunChildAsync(args[1..]);
    case "feed" when args.ElementAtOrDefault(1) == "timelines":
        return await TimelineBenchmarks.RunAsync(args[2..]);
    case "feed":
        {
            // Each part prints its own figures; `bench feed events` runs only the parts named.
            var parts = args.Skip(1).ToHashSet(StringComparer.OrdinalIgnoreCase);
            bool Wanted(string part) => parts.Count == 0 || parts.Contains(part);
            var status = 0;
            if (Wanted("imaging"))
            {
                status = Math.Max(status, FeedImagingBenchmarks.Run());
            }

            if (Wanted("events"))
            {
                status = Math.Max(status, EventBenchmarks.Run());
            }

            return status;
        }

    default:
        Console.Error.WriteLine("usage: aisocial bench models | scan | feed [imaging] [events] | feed timelines [--posts 100000,1000000] [--rate 200] [--seconds 20] | export [--posts 100000] | dedupe [--posts 250000,500000,1000000] [--block 125000]");
        return 2;
}
