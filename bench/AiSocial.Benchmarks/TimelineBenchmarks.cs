using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AiSocial.Ingest.Timelines;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiSocial.Benchmarks;

/// <summary>
/// Timeline reads at a fixed rate: seeds a database (50k accounts, 100 follows each, posts with 10 likes each on
/// average), starts the Feed host on it, and reads the public, home, tag and trending timelines through HTTP with wrk
/// (one signed-in reader picked at random per request), beside the same SQL run directly with pgbench at the same
/// rate as the reference; first at the smaller size, then again after growing to the full one.
/// Needs AISOCIAL_DB (a superuser connection; the benchmark makes its own database beside it), AISOCIAL_FEED_DLL,
/// AISOCIAL_PGBENCH and wrk on the PATH (./aisocial bench feed timelines sees to all of them).
/// </summary>
internal static partial class TimelineBenchmarks
{
    private const string Database = "aisocial_bench_timelines";
    private const int Limit = 20;
    private const int Connections = 16;

    private static readonly string[] Timelines = ["public", "home", "tag", "trending"];

    private sealed record Latency(double RequestsPerSecond, double P50, double P99, long Failed);

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = Option(args, "--posts", "100000,1000000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var rate = int.Parse(Option(args, "--rate", "200"), CultureInfo.InvariantCulture);
        var seconds = int.Parse(Option(args, "--seconds", "20"), CultureInfo.InvariantCulture);
        var accounts = int.Parse(Option(args, "--accounts", "50000"), CultureInfo.InvariantCulture);
        if (args.Contains("--show-sql"))
        {
            foreach (var timeline in Timelines)
            {
                Console.WriteLine($"-- {timeline}\n{PgbenchScript(timeline, 1, accounts)}");
            }

            return 0;
        }

        var server = Required("AISOCIAL_DB");
        var feedDll = Required("AISOCIAL_FEED_DLL");
        var pgbench = Required("AISOCIAL_PGBENCH");

        var connection = new NpgsqlConnectionStringBuilder(server) { Database = Database, CommandTimeout = 0 };
        var seeded = args.Contains("--reuse") ? await SeededPostsAsync(connection.ConnectionString, accounts) : null;
        if (seeded is null)
        {
            await using var admin = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server) { Database = "postgres" }.ConnectionString);
            await admin.CreateCommand($"drop database if exists {Database} with (force)").ExecuteNonQueryAsync();
            await admin.CreateCommand($"create database {Database}").ExecuteNonQueryAsync();
        }

        var work = Directory.CreateTempSubdirectory("aisocial-bench-timelines-").FullName;
        var port = FreePort();
        Console.WriteLine($"Timelines at {rate} requests/s for {seconds} s each; Feed on 127.0.0.1:{port}, database {Database}");
        using var feed = StartFeed(feedDll, connection.ConnectionString, port, work);
        try
        {
            await WaitHealthyAsync(port, feed); // the Feed applies the migrations as it starts
            await using var dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
            var seeder = new TimelineSeeder(dataSource, accounts, followsPerAccount: 100, likesPerPost: 10);
            var seeding = Stopwatch.StartNew();
            if (seeded is { } seededPosts)
            {
                seeder.ResumeAt(seededPosts);
                Console.WriteLine($"  reusing the database seeded by an earlier run: {accounts:N0} accounts, {seededPosts:N0} posts");
            }
            else
            {
                await seeder.SeedAccountsAsync();
                Console.WriteLine($"  seeded {accounts:N0} accounts and their follows in {seeding.Elapsed.TotalSeconds:N0} s");
            }

            var rows = new List<(int Posts, string Timeline, Latency Http, Latency Sql)>();
            foreach (var size in sizes)
            {
                seeding.Restart();
                await seeder.GrowPostsAsync(size);
                await dataSource.CreateCommand("vacuum (analyze) ingest.posts, ingest.post_tags, ingest.media, ingest.post_counters, ingest.follows, ingest.accounts, ingest.access_tokens")
                    .ExecuteNonQueryAsync();
                await dataSource.CreateCommand("analyze ingest.likes").ExecuteNonQueryAsync();
                var snapshot = await new TrendingRanker(dataSource, Options.Create(new TimelineOptions()), TimeProvider.System, NullLogger<TrendingRanker>.Instance)
                    .RecomputeAsync(default);
                Console.WriteLine($"  {await seeder.CountsAsync()} after {seeding.Elapsed.TotalSeconds:N0} s; trending snapshot ranks {snapshot.Posts}");
                foreach (var timeline in Timelines)
                {
                    var http = RunWrk(timeline, port, rate, seconds, accounts, work);
                    var sql = RunPgbench(pgbench, connection, timeline, snapshot.Generation, rate, seconds, accounts, work);
                    rows.Add((size, timeline, http, sql));
                    Console.WriteLine($"  {size,9:N0} posts {timeline,-9} HTTP {Describe(http)}   SQL {Describe(sql)}");
                }
            }

            Console.WriteLine();
            Console.WriteLine($"  {"timeline",-9} {"posts",9}  {"HTTP req/s",10} {"p50 ms",7} {"p99 ms",7} {"failed",6}  {"SQL tx/s",9} {"p50 ms",7} {"p99 ms",7}");
            foreach (var (posts, timeline, http, sql) in rows.OrderBy(r => Array.IndexOf(Timelines, r.Timeline)).ThenBy(r => r.Posts))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {timeline,-9} {posts,9:N0}  {http.RequestsPerSecond,10:N1} {http.P50,7:N2} {http.P99,7:N2} {http.Failed,6}  {sql.RequestsPerSecond,9:N1} {sql.P50,7:N2} {sql.P99,7:N2}"));
            }

            var worst = rows.Where(r => r.Posts == sizes.Max()).Max(r => r.Http.P99);
            Console.WriteLine($"  target: p99 <= 25 ms at {rate} requests/s with {sizes.Max():N0} posts: worst p99 {worst:N2} ms, {(worst <= 25 ? "met" : "NOT met")}");
            return 0;
        }
        finally
        {
            if (!feed.HasExited)
            {
                feed.Kill(entireProcessTree: true);
                await feed.WaitForExitAsync();
            }

            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// With <c>--reuse</c>: the posts an earlier run seeded, when its database is there with the same accounts (their
    /// tokens last 30 days); null when it must be seeded afresh. Seeding a million posts takes minutes.
    /// </summary>
    private static async Task<int?> SeededPostsAsync(string connectionString, int accounts)
    {
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using var command = dataSource.CreateCommand("select (select count(*) from ingest.accounts), (select count(*) from ingest.posts)");
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return reader.GetInt64(0) == accounts ? (int)reader.GetInt64(1) : null;
        }
        catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.UndefinedTable)
        {
            return null;
        }
    }

    private static string Describe(Latency l) =>
        string.Create(CultureInfo.InvariantCulture, $"{l.RequestsPerSecond,7:N1}/s p50 {l.P50,6:N2} ms p99 {l.P99,6:N2} ms{(l.Failed > 0 ? $" ({l.Failed} failed)" : "")}");

    /// <summary>
    /// wrk keeps <see cref="Connections"/> connections, each waiting a random (exponential) pause between requests so
    /// that together they send about <paramref name="rate"/> requests a second; what was sent is measured, not assumed.
    /// </summary>
    private static Latency RunWrk(string timeline, int port, int rate, int seconds, int accounts, string work)
    {
        var path = timeline switch
        {
            "home" => "\"/api/v1/timelines/home\"",
            "tag" => "\"/api/v1/timelines/tags/tag\" .. math.random(0, 49)",
            _ => $"\"/api/v1/timelines/{timeline}\"",
        };
        var meanPauseMs = Math.Max(1.0, Connections * 1000.0 / rate - 3);
        var script = Path.Combine(work, $"{timeline}.lua");
        File.WriteAllText(script,
            $$"""
            math.randomseed(os.time() + math.floor(os.clock() * 1000000))
            request = function()
              local n = math.random(1, {{accounts}})
              return wrk.format("GET", {{path}} .. "?limit={{Limit}}", { ["Authorization"] = "Bearer ais_bench" .. n })
            end
            delay = function()
              return math.floor(-{{meanPauseMs.ToString(CultureInfo.InvariantCulture)}} * math.log(1 - math.random()))
            end
            """);
        var output = Run("wrk", ["-t2", $"-c{Connections}", $"-d{seconds}s", "--latency", "-s", script, $"http://127.0.0.1:{port}"]);
        var distribution = WrkPercentile().Matches(output).ToDictionary(m => m.Groups["p"].Value, m => Milliseconds(m.Groups["v"].Value, m.Groups["u"].Value));
        var failed = WrkFailures().Match(output) is { Success: true } f ? long.Parse(f.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var errors = WrkSocketErrors().Match(output) is { Success: true } e ? Enumerable.Range(1, 4).Sum(i => long.Parse(e.Groups[i].Value, CultureInfo.InvariantCulture)) : 0;
        return new Latency(double.Parse(WrkRate().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            distribution.GetValueOrDefault("50"), distribution.GetValueOrDefault("99"), failed + errors);
    }

    /// <summary>
    /// The statement the endpoint runs to pick and load a first page (TimelineReader.PageSql), with a random reader, run by pgbench at the same rate over as many connections as wrk uses.
    /// </summary>
    private static Latency RunPgbench(string pgbench, NpgsqlConnectionStringBuilder connection, string timeline, long generation, int rate, int seconds,
        int accounts, string work)
    {
        var script = Path.Combine(work, $"{timeline}.sql");
        File.WriteAllText(script, PgbenchScript(timeline, generation, accounts));
        var logs = Path.Combine(work, $"pgbench-{timeline}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(logs);
        var output = Run(pgbench, ["-n", "-M", "prepared", "-c", Connections.ToString(CultureInfo.InvariantCulture), "-j", "2", "-R", rate.ToString(CultureInfo.InvariantCulture), "-T",
            seconds.ToString(CultureInfo.InvariantCulture), "-f", script, "-l", "--log-prefix", Path.Combine(logs, "tx"),
            "-h", connection.Host!, "-p", connection.Port.ToString(CultureInfo.InvariantCulture), "-U", connection.Username!, Database]);
        // Each line: client, transaction, latency in µs from the scheduled start, script, epoch seconds, µs, schedule lag in µs.
        // Less the lag, it is measured from the moment the query was sent, as wrk measures.
        var latencies = Directory.EnumerateFiles(logs).SelectMany(File.ReadLines).Select(line => line.Split(' '))
            .Select(f => (double.Parse(f[2], CultureInfo.InvariantCulture) - double.Parse(f[6], CultureInfo.InvariantCulture)) / 1000).Order().ToArray();
        var failed = PgbenchFailed().Match(output) is { Success: true } f ? long.Parse(f.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return new Latency(double.Parse(PgbenchTps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), failed);
    }

    /// <summary>A pgbench script: a random reader (and tag), then the statement the endpoint runs for a first page.</summary>
    internal static string PgbenchScript(string timeline, long generation, int accounts)
    {
        var kind = timeline switch
        {
            "home" => TimelineKind.Home,
            "tag" => TimelineKind.Tag,
            "trending" => TimelineKind.Trending,
            _ => TimelineKind.Public,
        };
        var page = Parameter().Replace(TimelineReader.PageSql(kind, after: false), m => m.Groups[1].Value switch
        {
            "1" => TimelineSeeder.AccountIdSql(":n"),
            "4" => (Limit + 1).ToString(CultureInfo.InvariantCulture),
            "5" => kind == TimelineKind.Tag ? "('tag' || :t)" : generation.ToString(CultureInfo.InvariantCulture),
            "6" => "0",
            _ => "null",
        });
        return
            $"""
            \set n random(1, {accounts})
            \set t random(0, 49)
            {string.Join(' ', page.Split('\n', StringSplitOptions.TrimEntries))};

            """;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];

    private static double Milliseconds(string value, string unit) => double.Parse(value, CultureInfo.InvariantCulture) * unit switch
    {
        "us" => 0.001,
        "s" => 1000,
        "m" => 60_000,
        _ => 1,
    };

    private static Process StartFeed(string dll, string connectionString, int port, string work)
    {
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConnectionStrings__aisocial"] = connectionString;
        start.Environment["Media__Root"] = Path.Combine(work, "media");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // The load comes from one address and a few accounts; the limits would otherwise measure themselves.
        start.Environment["RateLimits__PerAddressPermitLimit"] = "100000000";
        start.Environment["RateLimits__PerAccountPermitLimit"] = "100000000";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"  feed: {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitHealthyAsync(int port, Process feed)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (feed.HasExited)
            {
                throw new InvalidOperationException($"The Feed host stopped while starting (exit code {feed.ExitCode}).");
            }

            try
            {
                if ((await client.GetAsync($"http://127.0.0.1:{port}/health")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // not answering yet
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("The Feed host did not become healthy within 120 s.");
    }

    private static string Run(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {error.Result}{output}");
        }

        return output + error.Result;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    private static string Required(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"Set {variable} (./aisocial bench feed timelines does).");

    [GeneratedRegex(@"\$(\d)")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"^\s+(?<p>50|99)(?:\.0+)?%\s+(?<v>[\d.]+)(?<u>us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex WrkPercentile();

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex WrkRate();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex WrkFailures();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex WrkSocketErrors();

    [GeneratedRegex(@"tps = ([\d.]+)")]
    private static partial Regex PgbenchTps();

    [GeneratedRegex(@"number of failed transactions: (\d+)")]
    private static partial Regex PgbenchFailed();
}
