using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation;
using AiSocial.Moderation.HashBanks;
using AiSocial.Moderation.Scanning;
using AiSocial.Moderation.Tests.ContentSafety;
using AiSocial.SafetyModels;
using AiSocial.SafetyModels.Nsfw;
using AiSocial.SafetyModels.Ocr;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AiSocial.Benchmarks;

/// <summary>
/// Posts per second through the whole local scan (lease, every configured check, signals, policy, outcome, outbox), on
/// a throwaway database on the server in AISOCIAL_BENCH_DB, with Azure AI Content Safety answered by the tests' loopback
/// double (text, image and protected material, as required checks), and the batch scanned one post at a time and then
/// <c>Moderation:ScanParallelism</c> at once; beside it, in the same process, the local models alone on the same
/// images (NSFW and OCR, one image after another, no database) as the reference. Also each check's share of the
/// time checks took, and the automation rate: the share of a generated mix of safe, borderline and violating posts
/// the active policy decided without a person.
/// </summary>
public static class ScanBenchmarks
{
    private const int Rounds = 3;
    private const int PostsPerRound = 96;

    private static readonly string[] SafePrompts = ["a lighthouse in fog", "watercolour of a fox in snow", "a bowl of ramen, studio light", "isometric city at dusk"];
    private static readonly string[] BorderlinePrompts = ["a woman in a swimsuit on the beach, glamour shot", "a bloody knife on a kitchen table", "fight scene, two boxers, blood"];

    public static async Task<int> RunAsync()
    {
        var server = Environment.GetEnvironmentVariable("AISOCIAL_BENCH_DB");
        var models = Environment.GetEnvironmentVariable("Models__Directory");
        if (string.IsNullOrEmpty(server) || string.IsNullOrEmpty(models))
        {
            Console.Error.WriteLine("AISOCIAL_BENCH_DB or Models__Directory is not set: run this through ./aisocial bench scan, which starts PostgreSQL and prepares the models.");
            return 2;
        }

        var bench = await BenchDatabase.CreateAsync(server, "scan_");
        var media = Directory.CreateTempSubdirectory("aisocial-bench-scan-");
        await using var contentSafety = await ContentSafetyDouble.StartAsync();
        contentSafety.Blocklists["aisocial"] = ("bench", []);
        // What the double grades above zero: the borderline prompts' words, at middling severities.
        contentSafety.TextTriggers["swimsuit"] = ("Sexual", 2);
        contentSafety.TextTriggers["blood"] = ("Violence", 3);
        contentSafety.TextTriggers["bloody"] = ("Violence", 4);
        try
        {
            var database = bench.ConnectionString;
            var mix = Mix.Generate(PostsPerRound);
            var parallelism = Environment.ProcessorCount;
            Console.WriteLine($"The whole local scan ({Environment.ProcessorCount} cores), {PostsPerRound} posts a round " +
                              $"({mix.Safe} safe, {mix.Borderline} borderline, {mix.Violating} violating), median of {Rounds} rounds; " +
                              $"Content Safety: the loopback double at {contentSafety.Endpoint}.");
            var reference = ModelsAlone(models, mix);
            var one = await ScanAsync(database, media.FullName, models, contentSafety.Endpoint, mix, scanParallelism: 1, report: false);
            var many = await ScanAsync(database, media.FullName, models, contentSafety.Endpoint, mix, scanParallelism: parallelism, report: true);
            Console.WriteLine();
            Console.WriteLine($"  {"local models alone (NSFW + OCR, no database)",-60} {reference,10:N1} posts/s");
            Console.WriteLine($"  {"whole scan, one post at a time",-60} {one,10:N1} posts/s   {one / reference,6:N2}x the models alone");
            Console.WriteLine($"  {$"whole scan, {parallelism} posts at once (ScanParallelism)",-60} {many,10:N1} posts/s   {many / reference,6:N2}x the models alone, {many / one:N2}x one at a time");
        }
        finally
        {
            await bench.DisposeAsync();
            media.Delete(recursive: true);
        }

        return 0;
    }

    /// <summary>The reference: the image models on the same images, one after another, decoded each time as the scan does.</summary>
    private static double ModelsAlone(string directory, Mix mix)
    {
        var options = new ModelOptions { Directory = directory };
        using var nsfw = NsfwClassifier.FromManifest(options);
        using var ocr = OcrEngine.FromManifest(options);
        var images = mix.Posts.Select(p => p.Image).ToList();
        var rates = new List<double>();
        for (var round = 0; round <= Rounds; round++)
        {
            var stopwatch = Stopwatch.StartNew();
            foreach (var image in images)
            {
                using var bitmap = ModelImages.Decode(image);
                nsfw.Classify(bitmap);
                ocr.Read(bitmap);
            }

            if (round > 0)
            {
                rates.Add(images.Count / stopwatch.Elapsed.TotalSeconds); // round 0 warms up
            }
        }

        return Median(rates);
    }

    private static async Task<double> ScanAsync(string database, string mediaRoot, string models, string contentSafety, Mix mix, int scanParallelism, bool report)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production", Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:aisocial"] = database,
            ["Media:Root"] = mediaRoot,
            ["Models:Directory"] = models,
            ["Moderation:RunScheduledScans"] = "false",
            ["Moderation:ScanParallelism"] = scanParallelism.ToString(),
            ["ContentSafety:Endpoint"] = contentSafety,
            ["ContentSafety:Key"] = ContentSafetyDouble.Key,
        });
        builder.Logging.ClearProviders();
        builder.AddModeration();
        using var host = builder.Build();
        await host.StartAsync(); // migrations
        var services = host.Services;
        var author = (await services.GetRequiredService<AccountRegistry>().RegisterAsync(
            new NewAccount($"bench_{Guid.NewGuid():N}"[..20], "Bench", "a long enough password", 1990), [Roles.User], default)).Value;
        var bank = services.GetRequiredService<HashBank>();
        foreach (var violating in mix.Posts.Where(p => p.Kind == PostKind.Violating))
        {
            await bank.AddAsync(Actor.System("bench"), "bench-known-bad", Convert.ToHexStringLower(SHA256.HashData(violating.Image)), "bench", default);
        }

        var scanner = services.GetRequiredService<PostScanner>();
        using var checkTimes = new CheckTimes();
        var rates = new List<double>();
        Guid[] lastRound = [];
        for (var round = 0; round <= Rounds; round++)
        {
            lastRound = await SubmitAsync(services, author.Id, mix);
            checkTimes.Reset();
            var stopwatch = Stopwatch.StartNew();
            var scanned = await scanner.ScanUntilIdleAsync(default);
            var elapsed = stopwatch.Elapsed;
            if (scanned.Leased != mix.Posts.Count)
            {
                throw new InvalidOperationException($"Leased {scanned.Leased} of {mix.Posts.Count} posts.");
            }

            if (round > 0)
            {
                rates.Add(mix.Posts.Count / elapsed.TotalSeconds); // round 0 warms up: model loading, JIT, prepared statements
            }
        }

        if (report)
        {
            checkTimes.Print(mix.Posts.Count);
            await PrintAutomationAsync(services.GetRequiredService<NpgsqlDataSource>(), mix, lastRound);
        }

        await host.StopAsync();
        return Median(rates);
    }

    private static async Task<Guid[]> SubmitAsync(IServiceProvider services, Guid authorId, Mix mix)
    {
        var submissions = services.GetRequiredService<PostSubmissions>();
        var ids = new Guid[mix.Posts.Count];
        for (var i = 0; i < mix.Posts.Count; i++)
        {
            var post = mix.Posts[i];
            await using var content = new MemoryStream(post.Image);
            var submitted = await submissions.SubmitAsync(authorId, Guid.NewGuid().ToString(), new PostDraft(post.Prompt, post.Caption), content, default);
            ids[i] = submitted.Value.Post.Id;
        }

        return ids;
    }

    /// <summary>What the policy did with the last round's posts, by kind: decided (published, published as sensitive, rejected) or sent to a person.</summary>
    private static async Task PrintAutomationAsync(NpgsqlDataSource dataSource, Mix mix, Guid[] ids)
    {
        var statuses = new Dictionary<Guid, (string Status, bool Review)>();
        await using (var command = dataSource.CreateCommand(
                         """
                         select p.id, p.status::text, exists (select 1 from moderation.review_tasks t where t.post_id = p.id and t.state = 'open')
                         from ingest.posts p where p.id = any($1)
                         """))
        {
            command.Parameters.Add(new() { Value = ids });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                statuses[reader.GetGuid(0)] = (reader.GetString(1), reader.GetBoolean(2));
            }
        }

        Console.WriteLine();
        Console.WriteLine("  automation rate of the active policy (decided without a person):");
        foreach (var kind in Enum.GetValues<PostKind>())
        {
            var posts = ids.Where((_, i) => mix.Posts[i].Kind == kind).Select(id => statuses[id]).ToList();
            var decided = posts.Count(p => !p.Review);
            var outcomes = string.Join(", ", posts.GroupBy(p => p.Review ? "review" : p.Status).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"));
            Console.WriteLine($"    {kind.ToString().ToLowerInvariant(),-12} {decided,4} of {posts.Count,-4} {100.0 * decided / posts.Count,6:N1}%   ({outcomes})");
        }

        var all = statuses.Values.Count(p => !p.Review);
        Console.WriteLine($"    {"all",-12} {all,4} of {statuses.Count,-4} {100.0 * all / statuses.Count,6:N1}%");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private enum PostKind { Safe, Borderline, Violating }

    private sealed record BenchPost(PostKind Kind, byte[] Image, string Prompt, string? Caption);

    /// <summary>
    /// Safe posts (plain pictures, harmless prompts), borderline ones (text in the image for OCR, suggestive or violent
    /// prompts) and violating ones (images in a hash bank), in a fixed order so every round and run sees the same mix.
    /// </summary>
    private sealed record Mix(IReadOnlyList<BenchPost> Posts)
    {
        public int Safe => Posts.Count(p => p.Kind == PostKind.Safe);

        public int Borderline => Posts.Count(p => p.Kind == PostKind.Borderline);

        public int Violating => Posts.Count(p => p.Kind == PostKind.Violating);

        public static Mix Generate(int count)
        {
            var images = BenchImages.Encoded(count, 512, 384);
            var posts = new List<BenchPost>(count);
            for (var i = 0; i < count; i++)
            {
                // 6 safe : 3 borderline : 1 violating, roughly what a feed sees before its people learn the rules.
                posts.Add((i % 10) switch
                {
                    < 6 => new BenchPost(PostKind.Safe, images[i], SafePrompts[i % SafePrompts.Length], "made this today"),
                    < 9 => new BenchPost(PostKind.Borderline, images[i], BorderlinePrompts[i % BorderlinePrompts.Length], "is this too much?"),
                    _ => new BenchPost(PostKind.Violating, images[i], SafePrompts[i % SafePrompts.Length], null),
                });
            }

            return new Mix(posts);
        }
    }

    /// <summary>The scanner's own per-check timings (<c>aisocial.scan.check.duration</c>), summed by check.</summary>
    private sealed class CheckTimes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, double> _seconds = [];
        private readonly Lock _gate = new();

        public CheckTimes()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ModerationTelemetry.Name && instrument.Name == "aisocial.scan.check.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
            {
                var check = "?";
                foreach (var tag in tags)
                {
                    if (tag.Key == "check")
                    {
                        check = tag.Value?.ToString() ?? "?";
                    }
                }

                lock (_gate)
                {
                    _seconds[check] = _seconds.GetValueOrDefault(check) + seconds;
                }
            });
            _listener.Start();
        }

        public void Reset()
        {
            lock (_gate)
            {
                _seconds.Clear();
            }
        }

        public void Print(int posts)
        {
            lock (_gate)
            {
                var total = _seconds.Values.Sum();
                Console.WriteLine();
                Console.WriteLine("  share of check time (last round; image checks run side by side, then the text checks):");
                foreach (var (check, seconds) in _seconds.OrderByDescending(c => c.Value))
                {
                    Console.WriteLine($"    {check,-36} {100 * seconds / total,6:N1}%   {1000 * seconds / posts,8:N2} ms a post");
                }
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
