using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AiSocial.Export;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Export.Writing;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Database;
using AiSocial.Ingest.Media;
using AiSocial.Moderation.HashBanks;
using AiSocial.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AiSocial.Benchmarks;

/// <summary>
/// One dataset export at scale: a throwaway database on the server in AISOCIAL_BENCH_DB is seeded with N posts that are
/// all eligible (<see cref="ExportSeeder"/>), and the real runner (<see cref="ExportRunner.RunAsync"/>, what
/// <c>./aisocial export run</c> calls) exports them into a temporary export root: both passes over the snapshot
/// (eligibility and near-duplicates, then rows), reading each image from the media store, writing Parquet shards (zstd,
/// the image bytes stored) per split while hashing them, staging the row keys in PostgreSQL, the card, Croissant and manifest, and publishing.
/// The run goes in a child process that seeded nothing (<see cref="RunChildAsync"/>), timed from the call to its return;
/// peak RSS is that process's VmHWM, beside the manifest's.
/// The reference, in the same run: DuckDB (Node, @duckdb/node-api) loads the rows just exported into a table in a
/// DuckDB file (untimed) and writes that table to one zstd Parquet file with <c>COPY … (FORMAT parquet, COMPRESSION
/// zstd, ROW_GROUP_SIZE_BYTES '{rowGroupMb}MB')</c>, ours' row-group size (timed; memory_limit 4GB, preserve_insertion_order off, which the byte cap needs):
/// the same rows and columns, the encoding and compression alone, with nothing to read or decide.
/// </summary>
public static class ExportBenchmarks
{
    private const string Dataset = "bench";

    // Runs in Node from the directory holding node_modules; reports one JSON line.
    private const string DuckDbScript =
        """
        import { DuckDBInstance } from '@duckdb/node-api';
        import fs from 'node:fs';
        const env = process.env;
        const instance = await DuckDBInstance.create(env.AISOCIAL_DUCKDB_FILE);
        const connection = await instance.connect();
        await connection.run("set memory_limit = '4GB'");
        await connection.run(`create table t as select * from read_parquet('${env.AISOCIAL_SOURCE}')`);
        await connection.run('checkpoint');
        const rows = Number((await connection.runAndReadAll('select count(*) from t')).getRows()[0][0]);
        const threads = (await connection.runAndReadAll("select current_setting('threads')")).getRows()[0][0];
        const version = (await connection.runAndReadAll('select version()')).getRows()[0][0];
        try { fs.writeFileSync('/proc/self/clear_refs', '5'); } catch { }
        const cpu = process.cpuUsage();
        const start = performance.now();
        // Row groups capped in bytes as ours are: by default DuckDB makes groups of 122,880 rows, all of 100k images in one.
        // A byte cap on row groups needs insertion order off; the rows are the same, in whatever order.
        await connection.run('set preserve_insertion_order = false');
        await connection.run(`copy t to '${env.AISOCIAL_TARGET}' (format parquet, compression zstd, row_group_size_bytes '${env.AISOCIAL_ROW_GROUP_MB}MB')`);
        const seconds = (performance.now() - start) / 1000;
        const used = process.cpuUsage(cpu);
        const cpuSeconds = (used.user + used.system) / 1e6;
        const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
        process.stdout.write(JSON.stringify({ rows, seconds, bytes: fs.statSync(env.AISOCIAL_TARGET).size,
          peakRss: hwm ? Number(hwm[1]) * 1024 : null, cpuSeconds, threads: String(threads), version: String(version) }));
        """;

    private sealed record Reference(long Rows, double Seconds, double CpuSeconds, long Bytes, long? PeakRss, string Threads, string Version);

    public static async Task<int> RunAsync(string[] args)
    {
        var posts = 100_000;
        var rowGroupMb = DatasetSpec.DefaultRowGroupMb;
        var block = NearDuplicateClusters.DefaultBlockSize;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--posts" && i + 1 < args.Length && int.TryParse(args[++i], out var n) && n > 0)
            {
                posts = n;
            }
            else if (args[i] == "--row-group-mb" && i + 1 < args.Length && int.TryParse(args[++i], out var mb) && mb is >= 1 and <= 100)
            {
                rowGroupMb = mb;
            }
            else if (args[i] == "--near-duplicate-block" && i + 1 < args.Length && int.TryParse(args[++i], out var b) && b >= 2)
            {
                block = b;
            }
            else
            {
                Console.Error.WriteLine(
                    $"usage: aisocial bench export [--posts N] [--row-group-mb M] [--near-duplicate-block B]  (N eligible posts, default 100000; the spec's " +
                    $"row groups, 1-100 MB, default {DatasetSpec.DefaultRowGroupMb}; posts compared for near-duplicates in memory at once, default {NearDuplicateClusters.DefaultBlockSize})");
                return 2;
            }
        }

        var server = Environment.GetEnvironmentVariable("AISOCIAL_BENCH_DB");
        var nodeModules = Environment.GetEnvironmentVariable("AISOCIAL_NODE_MODULES");
        if (string.IsNullOrEmpty(server) || string.IsNullOrEmpty(nodeModules))
        {
            Console.Error.WriteLine("AISOCIAL_BENCH_DB or AISOCIAL_NODE_MODULES is not set: run this through ./aisocial bench export, which starts PostgreSQL.");
            return 2;
        }

        var keep = Environment.GetEnvironmentVariable("AISOCIAL_BENCH_KEEP") == "1"; // the database and the work directory
        var bench = await BenchDatabase.CreateAsync(server, "export_");
        var work = Directory.CreateTempSubdirectory("aisocial-bench-export-");
        var mediaRoot = Path.Combine(work.FullName, "media");
        var exportRoot = Path.Combine(work.FullName, "exports");
        try
        {
            var database = bench.ConnectionString;
            using var host = BuildHost(database, mediaRoot, exportRoot);
            var services = host.Services;
            await services.GetRequiredService<MigrationRunner>().ApplyAsync();

            Console.WriteLine($"Export of {posts:N0} eligible posts ({Environment.ProcessorCount} cores, near-duplicates compared {block:N0} posts at a time); " +
                              $"work directory {work.FullName}");
            var seeder = new ExportSeeder(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<MediaStore>(),
                services.GetRequiredService<ConsentLedger>(), services.GetRequiredService<TermsCatalog>());
            var seeded = await seeder.SeedAsync(posts, default);
            Console.WriteLine($"  seeded: {Math.Min(posts, ExportSeeder.BaseImages)} noise JPEGs of {seeded.Width}x{seeded.Height} encoded in {seeded.Images.TotalSeconds:N1} s; " +
                              $"{posts:N0} distinct files ({Mib(seeded.ImageBytes):N0} MiB, {seeded.ImageBytes / posts / 1000.0:N1} kB each) written in {seeded.Files.TotalSeconds:N1} s; " +
                              $"rows and ledger in {seeded.Rows.TotalSeconds:N1} s");

            var created = await services.GetRequiredService<DatasetSpecs>().CreateAsync(Actor.System("bench"),
                new DatasetSpec { Name = Dataset, Description = "export benchmark", Purpose = ConsentPurposes.AiTraining, RowGroupMb = rowGroupMb }, default);
            if (created.Refusal is { } refused)
            {
                Console.Error.WriteLine($"The dataset spec was refused: {refused.Detail}");
                return 1;
            }

            // The run goes in a process of its own, as `./aisocial export run` does: this one holds what seeding left (the
            // runtime keeps the memory it grew to, about 1 GB at 10k posts), which is not the exporter's.
            var measured = await RunInChildAsync(database, mediaRoot, exportRoot, block);
            if (measured.Error is { } error)
            {
                Console.Error.WriteLine($"The run did not publish: {error}");
                return 1;
            }

            var manifest = await ExportManifest.ReadAsync(measured.Output!, default);
            var (seconds, cpuSeconds, vmHwm) = (measured.Seconds, measured.CpuSeconds, measured.PeakRss);
            var shards = manifest.Files.Where(f => f.Path.StartsWith("data/", StringComparison.Ordinal)).ToList();
            var parquetBytes = shards.Sum(f => f.Bytes);
            if (manifest.RowsIncluded != posts || manifest.DuplicatesCollapsed != 0)
            {
                Console.Error.WriteLine($"Expected all {posts} posts exported and none collapsed; got {manifest.RowsIncluded} rows, " +
                                        $"{manifest.DuplicatesCollapsed} collapsed, excluded {string.Join(", ", manifest.Excluded.Select(e => $"{e.Key} {e.Value}"))}.");
                return 1;
            }

            var ours = (Rows: manifest.RowsIncluded / seconds, Mib: Mib(parquetBytes) / seconds);
            Console.WriteLine();
            Console.WriteLine($"  ours:   ExportRunner.RunAsync, full run of '{Dataset}': {manifest.RowsIncluded:N0} rows in {seconds:N1} s " +
                              $"({cpuSeconds:N1} CPU-s in this process; PostgreSQL's not counted), {shards.Count} shards, {Mib(parquetBytes):N0} MiB of Parquet (zstd, the image bytes stored); " +
                              $"load average {measured.LoadBefore} before, {measured.LoadAfter} after; in a process of its own: RSS {Mib(measured.RssAtStart):N0} MiB " +
                              $"at the start (host built, nothing run), peak RSS {Mib(vmHwm ?? 0):N0} MiB (VmHWM), {Mib(manifest.PeakRssBytes ?? 0):N0} MiB (manifest)");
            foreach (var phase in measured.Phases)
            {
                Console.WriteLine($"          phase {phase.Phase,-10} {phase.Seconds,8:N1} s");
            }

            // The media are read; free their disk before DuckDB makes two more copies of the rows.
            if (!keep)
            {
                Directory.Delete(mediaRoot, recursive: true);
            }

            var reference = await DuckDbAsync(nodeModules, Path.Combine(measured.Output!, "data", "*.parquet"), work.FullName, manifest.Spec!.RowGroupMb);

            var duck = (Rows: reference.Rows / reference.Seconds, Mib: Mib(reference.Bytes) / reference.Seconds);
            Console.WriteLine($"  DuckDB: {reference.Version}, {reference.Threads} threads: COPY t TO '…' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE_BYTES '{manifest.Spec!.RowGroupMb}MB') of the same " +
                              $"{reference.Rows:N0} rows (loaded from our shards into a DuckDB table first, untimed): {reference.Seconds:N1} s " +
                              $"({reference.CpuSeconds:N1} CPU-s), {Mib(reference.Bytes):N0} MiB; load average {LoadAverage()} after");
            Console.WriteLine();
            Console.WriteLine($"  {"",-30} {"ours",12} {"DuckDB",12} {"ours/DuckDB",12}   aim");
            Row("rows/s", ours.Rows, duck.Rows, "N0", "≥ 0.5× DuckDB");
            Row("MiB/s of Parquet", ours.Mib, duck.Mib, "N1", "≥ 200 MiB/s");
            Row("MiB of Parquet per CPU-second", Mib(parquetBytes) / cpuSeconds, Mib(reference.Bytes) / reference.CpuSeconds, "N1",
                "(less sensitive to other load)");
            Row("peak RSS, MiB (VmHWM)", Mib(vmHwm ?? 0), reference.PeakRss is { } duckRss ? Mib(duckRss) : double.NaN, "N0",
                "≤ 1024 MiB");
            Console.WriteLine($"  {"peak RSS, MiB (manifest)",-30} {Mib(manifest.PeakRssBytes ?? 0),12:N0}");
            Console.WriteLine();
            Console.WriteLine($"  aims: rows/s {(ours.Rows >= 0.5 * duck.Rows ? "met" : "MISSED")}, MiB/s {(ours.Mib >= 200 ? "met" : "MISSED")}, " +
                              $"peak RSS {((vmHwm ?? 0) <= 1L << 30 ? "met" : "MISSED")}");
            return 0;
        }
        finally
        {
            if (keep)
            {
                // Kept to look at, or to run the export again alone (under a profiler, say).
                Console.WriteLine($"  kept: the database and {work.FullName}; the run again: {Environment.ProcessPath} " +
                                  $"{typeof(ExportBenchmarks).Assembly.Location} export-run \"{bench.ConnectionString}\" {mediaRoot} {exportRoot}");
            }
            else
            {
                await bench.DisposeAsync();
                work.Delete(recursive: true);
            }
        }
    }

    /// <summary>What the child process that ran the export measured, as one JSON line on its standard output.</summary>
    private sealed record Measured(string? Output, string? Error, double Seconds, double CpuSeconds, long? PeakRss, long RssAtStart, string LoadBefore,
        string LoadAfter, IReadOnlyList<PhaseTime> Phases);

    private sealed record PhaseTime(string Phase, double Seconds);

    private static readonly JsonSerializerOptions MeasuredJson = new(JsonSerializerDefaults.Web);

    private static async Task<Measured> RunInChildAsync(string database, string mediaRoot, string exportRoot, int block)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!,
            [typeof(ExportBenchmarks).Assembly.Location, "export-run", database, mediaRoot, exportRoot, block.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        // Its logger may write warnings to the same output, before or after the measurement.
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
        return line is not null
            ? JsonSerializer.Deserialize<Measured>(line, MeasuredJson)!
            : new Measured(null, $"the run's process exited {process.ExitCode}: {output}", 0, 0, null, 0, "", "", []);
    }

    /// <summary>
    /// The child: runs the dataset with <see cref="ExportRunner.RunAsync"/> in this fresh process (as <c>./aisocial export
    /// run</c> would) and prints what it measured as JSON; args: database, media root, export root and, optionally, the
    /// near-duplicate block.
    /// </summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        using var host = BuildHost(args[0], args[1], args[2], args.Length > 3 ? args[3] : null);
        var runner = host.Services.GetRequiredService<ExportRunner>();
        var rssAtStart = Environment.WorkingSet;
        ResetPeakRss();
        var phases = new PhaseClock();
        var load = LoadAverage();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        var exported = await runner.RunAsync(Dataset, Actor.System("bench"), ExportRunKind.Full, null, phases, default);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var peak = PeakRss();
        var loadAfter = LoadAverage();
        phases.End();
        string? error = exported.Refusal is { } refusal ? $"refused: {refusal.Detail}"
            : exported.Value.Manifest is null ? $"ended {exported.Value.Status}: {await RunErrorAsync(host.Services, exported.Value.RunId)}"
            : null;
        Console.WriteLine(JsonSerializer.Serialize(new Measured(exported.Refusal is null ? exported.Value.Output : null, error, seconds, cpuSeconds, peak,
            rssAtStart, load, loadAfter, [.. phases.Durations.Select(d => new PhaseTime(d.Phase, d.Duration.TotalSeconds))]), MeasuredJson));
        return error is null ? 0 : 1;
    }

    private static void Row(string what, double ours, double duck, string format, string aim) =>
        Console.WriteLine($"  {what,-30} {ours.ToString(format),12} {duck.ToString(format),12} {ours / duck,11:N2}x   {aim}");

    private static double Mib(long bytes) => bytes / (1024.0 * 1024.0);

    private static IHost BuildHost(string database, string mediaRoot, string exportRoot, string? nearDuplicateBlock = null)
    {
        var builder = OneShotHosts.CreateBuilder(environmentName: "Production");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:aisocial"] = database,
            ["Media:Root"] = mediaRoot,
            ["Export:Root"] = exportRoot,
            ["Moderation:RunScheduledScans"] = "false",
            ["Export:NearDuplicateBlock"] = nearDuplicateBlock,
        });
        // Warnings and errors only (a run's heartbeat, a failed range): the figures stay readable.
        builder.Logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.AddExport();
        return builder.Build();
    }

    private static async Task<string> RunErrorAsync(IServiceProvider services, Guid runId)
    {
        await using var command = services.GetRequiredService<NpgsqlDataSource>().CreateCommand("select status || ' in phase ' || coalesce(phase, '?') || ': ' || coalesce(error, '(no error)') from export.runs where id = $1");
        command.Parameters.Add(new() { Value = runId });
        return await command.ExecuteScalarAsync() as string ?? "(no such run)";
    }

    /// <summary>The 1, 5 and 15 minute load averages: the machine may be shared, and both sides' figures depend on it.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Writing 5 to clear_refs resets the process's VmHWM to its current RSS (Linux 4.0+).</summary>
    private static bool ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long? PeakRss()
    {
        var line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) : null;
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    private static async Task<Reference> DuckDbAsync(string nodeModules, string source, string work, int rowGroupMb)
    {
        var start = new ProcessStartInfo("node", ["--input-type=module", "-e", DuckDbScript])
        {
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(nodeModules))!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["AISOCIAL_DUCKDB_FILE"] = Path.Combine(work, "reference.duckdb");
        start.Environment["AISOCIAL_SOURCE"] = source;
        start.Environment["AISOCIAL_TARGET"] = Path.Combine(work, "reference.parquet");
        start.Environment["AISOCIAL_ROW_GROUP_MB"] = rowGroupMb.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"DuckDB failed ({process.ExitCode}):\n{await error}\n{await output}");
        }

        using var json = JsonDocument.Parse(await output);
        var root = json.RootElement;
        return new Reference(root.GetProperty("rows").GetInt64(), root.GetProperty("seconds").GetDouble(), root.GetProperty("cpuSeconds").GetDouble(),
            root.GetProperty("bytes").GetInt64(),
            root.GetProperty("peakRss").ValueKind == JsonValueKind.Number ? root.GetProperty("peakRss").GetInt64() : null,
            root.GetProperty("threads").GetString()!, root.GetProperty("version").GetString()!);
    }

    /// <summary>When the run's reported phase changes; each phase lasts until the next one starts.</summary>
    private sealed class PhaseClock : IProgress<RunProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<(string Phase, TimeSpan At)> _changes = [];

        public IEnumerable<(string Phase, TimeSpan Duration)> Durations =>
            _changes.Zip(_changes.Skip(1), (a, b) => (a.Phase, b.At - a.At));

        public void Report(RunProgress value)
        {
            lock (_changes)
            {
                if (_changes.Count == 0 || _changes[^1].Phase != value.Phase)
                {
                    _changes.Add((value.Phase, _clock.Elapsed));
                }
            }
        }

        public void End() => Report(new RunProgress("(end)", 0, 0, 0, 0));
    }
}
