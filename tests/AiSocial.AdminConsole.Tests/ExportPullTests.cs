using System.Diagnostics;
using AiSocial.Ingest.Accounts;
using AiSocial.Testing;

namespace AiSocial.AdminConsole.Tests;

/// <summary><c>./aisocial export pull</c> against the console on Kestrel, then <c>export verify</c> on what it wrote.</summary>
public sealed class ExportPullTests(DatasetsConsole console) : IClassFixture<DatasetsConsole>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("aisocial-pull-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private const string Shard = "data/train-00000-of-00001.parquet";

    internal sealed record Ran(int ExitCode, string Output, string Error);

    /// <summary>The built command line as its own process, its output redirected (so progress comes as plain lines).</summary>
    internal static async Task<Ran> CliAsync(params string[] arguments)
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var binary = Path.Combine(RepositoryRoot.Path, "src", "Cli", "bin", framework.Parent!.Name, framework.Name, "aisocial-cli.dll");
        var start = new ProcessStartInfo("dotnet", [binary, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("AISOCIAL_TOKEN");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Ran(process.ExitCode, await output, await error);
    }

    private async Task<Ran> PullAsync(string directory, string token) =>
        await CliAsync("export", "pull", console.Dataset, "--out", directory, "--server", console.Address.ToString(), "--token", token);

    [Fact]
    public async Task Pull_downloads_the_newest_run_with_progress_and_verify_accepts_the_copy()
    {
        var token = await console.TokenAsync(Roles.MlEngineer);
        var copy = Path.Combine(_work, "copy");

        var pulled = await PullAsync(copy, token);
        var verified = await CliAsync("export", "verify", copy);

        Assert.True(pulled.ExitCode == 0, pulled.Output + pulled.Error);
        Assert.Contains($"ok    {Shard}", pulled.Output);
        Assert.Contains($"{Shard}: ", pulled.Error); // a plain progress line per file when not on a terminal
        Assert.Contains("MiB/s", pulled.Error);
        foreach (var file in console.Run.Manifest!.Files.Select(f => f.Path).Append("manifest.json"))
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(console.Run.Output, file)), await File.ReadAllBytesAsync(Path.Combine(copy, file)));
        }

        Assert.True(verified.ExitCode == 0, verified.Output);
        Assert.Contains($"ok    {Shard}", verified.Output);
    }

    [Fact]
    public async Task An_interrupted_file_is_resumed_with_a_range_from_its_length_and_checked()
    {
        var token = await console.TokenAsync(Roles.MlEngineer);
        var copy = Path.Combine(_work, "resumed");
        Assert.Equal(0, (await PullAsync(copy, token)).ExitCode);
        var shard = Path.Combine(copy, "data", "train-00000-of-00001.parquet");
        var whole = await File.ReadAllBytesAsync(shard);
        await File.WriteAllBytesAsync(shard, whole[..(whole.Length / 2)]); // as a pull stopped halfway leaves it
        File.Delete(Path.Combine(copy, "manifest.json"));

        var resumed = await PullAsync(copy, token);

        Assert.True(resumed.ExitCode == 0, resumed.Output + resumed.Error);
        Assert.Contains($"resume {Shard} from byte {whole.Length / 2}", resumed.Output);
        Assert.Contains(console.Requests, r => r.Path.EndsWith(Shard, StringComparison.Ordinal) && r.Range == $"bytes={whole.Length / 2}-");
        Assert.Equal(whole, await File.ReadAllBytesAsync(shard));
        Assert.Equal(0, (await CliAsync("export", "verify", copy)).ExitCode);
    }

    [Fact]
    public async Task Verify_names_the_corrupted_file_and_the_missing_one_and_fails()
    {
        var copy = Path.Combine(_work, "damaged");
        Assert.Equal(0, (await PullAsync(copy, await console.TokenAsync(Roles.Admin))).ExitCode);
        var shard = Path.Combine(copy, "data", "train-00000-of-00001.parquet");
        var bytes = await File.ReadAllBytesAsync(shard);
        bytes[bytes.Length / 2] ^= 0xFF; // same size, one byte different
        await File.WriteAllBytesAsync(shard, bytes);

        var corrupted = await CliAsync("export", "verify", copy);
        File.Delete(shard);
        var missing = await CliAsync("export", "verify", copy);

        Assert.Equal(1, corrupted.ExitCode);
        Assert.Contains($"FAIL  {Shard}: SHA-256", corrupted.Output);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"FAIL  {Shard}: missing", missing.Output);
    }

    [Fact]
    public async Task Pull_without_a_token_or_with_another_roles_token_says_so_and_writes_nothing()
    {
        var none = await CliAsync("export", "pull", console.Dataset, "--out", Path.Combine(_work, "none"), "--server", console.Address.ToString());
        var moderator = await PullAsync(Path.Combine(_work, "moderator"), await console.TokenAsync(Roles.Moderator));

        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--token", none.Error);
        Assert.Equal(1, moderator.ExitCode);
        Assert.Contains("403", moderator.Error);
        Assert.False(Directory.Exists(Path.Combine(_work, "moderator")));
    }
}
