using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AiSocial.Feed;
using AiSocial.Ingest.Events;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Benchmarks;

/// <summary>
/// Events per second into <c>ingest.events</c> through the project's group-commit writer (many concurrent callers in
/// process) and through <c>POST /api/v1/events</c> on a real Kestrel server over loopback (many concurrent clients),
/// each beside one raw binary COPY of the same rows into the same (emptied) table in the same run. The database is a
/// throwaway one on the server in AISOCIAL_BENCH_DB (./aisocial starts the local cluster, durable as for `up`).
/// </summary>
public static class EventBenchmarks
{
    private const int Batch = EventRecorder.MaxEventsPerRequest;
    private const int Rounds = 3;

    public static int Run()
    {
        var server = Environment.GetEnvironmentVariable("AISOCIAL_BENCH_DB");
        if (string.IsNullOrEmpty(server))
        {
            Console.Error.WriteLine("AISOCIAL_BENCH_DB is not set: run this through ./aisocial bench feed, which starts PostgreSQL.");
            return 2;
        }

        return RunAsync(server).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string server)
    {
        var bench = await BenchDatabase.CreateAsync(server, "");
        var media = Directory.CreateTempSubdirectory("aisocial-bench-media-");
        try
        {
            await using var feed = await StartFeedAsync(bench.ConnectionString, media.FullName);
            var dataSource = feed.Services.GetRequiredService<NpgsqlDataSource>();
            Console.WriteLine($"Events into ingest.events ({Environment.ProcessorCount} cores, PostgreSQL {await ScalarAsync(dataSource, "show server_version")}, " +
                              $"synchronous_commit={await ScalarAsync(dataSource, "show synchronous_commit")}, fsync={await ScalarAsync(dataSource, "show fsync")}). " +
                              $"Median of {Rounds} rounds; each path beside a raw COPY of the same rows in the same round.");
            await WriterAsync(feed, dataSource, Rows(1_000_000), callers: 64);
            await HttpAsync(feed, dataSource, Rows(200_000), clients: 32);
        }
        finally
        {
            await bench.DisposeAsync();
            media.Delete(recursive: true);
        }

        return 0;
    }

    private static async Task WriterAsync(WebApplication feed, NpgsqlDataSource dataSource, InteractionEvent[] rows, int callers)
    {
        var writer = feed.Services.GetRequiredService<EventWriter>();
        var raw = new List<double>();
        var ours = new List<double>();
        long copies = 0;
        for (var round = 0; round < Rounds; round++)
        {
            raw.Add(await RawCopyAsync(dataSource, rows));
            await TruncateAsync(dataSource);
            var before = writer.Commits;
            var next = -1;
            var stopwatch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
            {
                int slice;
                while ((slice = Interlocked.Increment(ref next)) * Batch < rows.Length)
                {
                    var batch = new ArraySegment<InteractionEvent>(rows, slice * Batch, Math.Min(Batch, rows.Length - slice * Batch));
                    var written = await writer.WriteAsync(batch);
                    if (written.Refusal is { } refusal)
                    {
                        throw new InvalidOperationException(refusal.Detail);
                    }
                }
            })));
            ours.Add(rows.Length / stopwatch.Elapsed.TotalSeconds);
            copies = writer.Commits - before;
            await CheckAndTruncateAsync(dataSource, rows.Length);
        }

        Report($"raw COPY, {rows.Length:N0} rows in one transaction", raw);
        Report($"EventWriter, {callers} callers x {Batch}-event batches", ours);
        Console.WriteLine($"  {"  (last round: " + copies + " COPYs, " + rows.Length / Math.Max(1, copies) + " events each)",-60}");
        Ratio("writer / raw COPY", ours, raw);
    }

    private static async Task HttpAsync(WebApplication feed, NpgsqlDataSource dataSource, InteractionEvent[] rows, int clients)
    {
        var address = new Uri(feed.Urls.First());
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, UseCookies = false }) { BaseAddress = address };
        var signUp = await http.PostAsJsonAsync("/api/v1/accounts",
            new { handle = "bench_events", displayName = "Bench", password = "a long enough password", birthYear = 1990 });
        signUp.EnsureSuccessStatusCode();
        var token = (await signUp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // Bodies are made before the clock starts: what is measured is the server, not the client's JSON.
        var bodies = rows.Chunk(Batch).Select(Body).ToArray();

        var raw = new List<double>();
        var ours = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            raw.Add(await RawCopyAsync(dataSource, rows));
            await TruncateAsync(dataSource);
            var next = -1;
            var stopwatch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                int slice;
                while ((slice = Interlocked.Increment(ref next)) < bodies.Length)
                {
                    using var content = new ByteArrayContent(bodies[slice]);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await http.PostAsync("/api/v1/events", content);
                    if (response.StatusCode != HttpStatusCode.Accepted)
                    {
                        throw new InvalidOperationException($"POST /api/v1/events answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    }
                }
            })));
            ours.Add(rows.Length / stopwatch.Elapsed.TotalSeconds);
            await CheckAndTruncateAsync(dataSource, rows.Length);
        }

        Report($"raw COPY, {rows.Length:N0} rows in one transaction", raw);
        Report($"POST /api/v1/events, {clients} clients x {Batch}-event batches", ours);
        Ratio("HTTP / raw COPY", ours, raw);
    }

    private static byte[] Body(InteractionEvent[] events) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        events = events.Select(e => new
        {
            type = e.Type.ToString().ToLowerInvariant(),
            postId = e.PostId,
            ms = e.Ms,
            at = e.At,
        }),
    }, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));

    /// <summary>One COPY of every row in one transaction, as a hand-written bulk load would: the database's own speed.</summary>
    private static async Task<double> RawCopyAsync(NpgsqlDataSource dataSource, InteractionEvent[] rows)
    {
        var stopwatch = Stopwatch.StartNew();
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using (var importer = await connection.BeginBinaryImportAsync("copy ingest.events (at, post_id, account_id, type, ms) from stdin (format binary)"))
            {
                foreach (var e in rows)
                {
                    await importer.StartRowAsync();
                    await importer.WriteAsync(e.At, NpgsqlDbType.TimestampTz);
                    await importer.WriteAsync(e.PostId, NpgsqlDbType.Uuid);
                    await importer.WriteAsync(e.AccountId, NpgsqlDbType.Uuid);
                    await importer.WriteAsync((short)e.Type, NpgsqlDbType.Smallint);
                    if (e.Ms is { } ms)
                    {
                        await importer.WriteAsync(ms, NpgsqlDbType.Integer);
                    }
                    else
                    {
                        await importer.WriteNullAsync();
                    }
                }

                await importer.CompleteAsync();
            }

            await transaction.CommitAsync();
        }

        var rate = rows.Length / stopwatch.Elapsed.TotalSeconds;
        await CheckAndTruncateAsync(dataSource, rows.Length);
        return rate;
    }

    private static async Task CheckAndTruncateAsync(NpgsqlDataSource dataSource, long expected)
    {
        var stored = (long)(await ScalarAsync(dataSource, "select count(*) from ingest.events"))!;
        if (stored != expected)
        {
            throw new InvalidOperationException($"{stored} events stored, {expected} expected.");
        }

        await TruncateAsync(dataSource);
    }

    private static async Task TruncateAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("truncate ingest.events; checkpoint");
        await command.ExecuteNonQueryAsync();
    }

    private static InteractionEvent[] Rows(int count)
    {
        var random = new Random(7);
        var posts = Enumerable.Range(0, 10_000).Select(_ => Guid.CreateVersion7()).ToArray();
        var accounts = Enumerable.Range(0, 1_000).Select(_ => Guid.CreateVersion7()).ToArray();
        var now = DateTimeOffset.UtcNow;
        return Enumerable.Range(0, count).Select(_ =>
        {
            var type = (EventType)random.Next(1, 5);
            return new InteractionEvent(now.AddSeconds(-random.Next(86_400)), posts[random.Next(posts.Length)], accounts[random.Next(accounts.Length)], type,
                type == EventType.Dwell ? random.Next(1, 60_000) : null);
        }).ToArray();
    }

    /// <summary>The Feed host as its Program.cs builds it, on a free loopback port, with rate limits out of the way.</summary>
    private static async Task<WebApplication> StartFeedAsync(string database, string mediaRoot)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:aisocial"] = database,
            ["Media:Root"] = mediaRoot,
            ["RateLimits:PerAccountPermitLimit"] = "100000000",
            ["RateLimits:PerAddressPermitLimit"] = "100000000",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.AddFeed();
        var app = builder.Build();
        app.UseServiceDefaults();
        app.UseFeedContentSecurityPolicy();
        app.UseRequestLimits();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MapDefaultEndpoints();
        app.MapFeedApi();
        await app.StartAsync();
        return app;
    }

    private static void Report(string what, List<double> rates) => Console.WriteLine($"  {what,-60} {Median(rates),12:N0} events/s");

    private static void Ratio(string what, List<double> numerator, List<double> denominator) =>
        Console.WriteLine($"  {"ratio " + what,-60} {Median(numerator) / Median(denominator),12:N2}x");

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static async Task<object?> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

}
