using System.Text.Json;
using AiSocial.Testing;

namespace AiSocial.Cli.Tests;

public sealed class CommandLineTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private readonly string _work = Directory.CreateTempSubdirectory("aisocial-cli-").FullName;

    private async Task<Dictionary<string, long>> CountsAsync()
    {
        var counts = new Dictionary<string, long>();
        foreach (var table in new[] { "ingest.accounts", "ingest.account_roles", "ingest.posts", "ingest.media", "ingest.consent_events",
                     "moderation.signals", "moderation.review_tasks", "moderation.labels", "moderation.hash_bank_entries", "export.datasets" })
        {
            counts[table] = await platform.ScalarAsync<long>($"select count(*) from {table}");
        }

        return counts;
    }

    private async Task SeedAsync()
    {
        var seeded = await CommandLine.RunAsync(platform, "seed", "--credentials", Path.Combine(_work, "credentials.json"));
        Assert.True(seeded.ExitCode == 0, seeded.Error);
    }

    [Fact]
    public async Task Seeding_twice_duplicates_nothing_and_keeps_the_demo_passwords()
    {
        await SeedAsync();
        var first = await CountsAsync();
        var credentials = await File.ReadAllTextAsync(Path.Combine(_work, "credentials.json"));

        await SeedAsync();

        Assert.Equal(first, await CountsAsync());
        Assert.Equal(credentials, await File.ReadAllTextAsync(Path.Combine(_work, "credentials.json")));
        Assert.Equal(1L, await platform.ScalarAsync<long>("select count(*) from export.datasets where name = 'demo'"));
        Assert.True(first["ingest.posts"] > 0 && first["moderation.review_tasks"] > 0 && first["moderation.labels"] > 0);
        var roles = await platform.ScalarAsync<string[]>("select array_agg(distinct role order by role) from ingest.account_roles");
        Assert.Equal(["admin", "creator", "ml_engineer", "moderator", "user"], roles);
        var saved = new FileInfo(Path.Combine(_work, "credentials.json")).LastWriteTimeUtc;
        var printed = await CommandLine.RunAsync(platform, "demo-accounts", "--credentials", Path.Combine(_work, "credentials.json"));
        Assert.Equal(5, printed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(saved, new FileInfo(Path.Combine(_work, "credentials.json")).LastWriteTimeUtc); // printing writes nothing
    }

    [Fact]
    public async Task Seeding_again_after_the_idempotency_keys_were_purged_or_fingerprinted_anew_duplicates_no_post()
    {
        await SeedAsync();
        var first = await CountsAsync();
        // A day later the keys are gone; after an upgrade the same request may fingerprint differently.
        await platform.ExecuteAsync("update ingest.posts set idempotency_key = null, request_fingerprint = null where idempotency_key like 'demo-1%'");
        await platform.ExecuteAsync("update ingest.posts set request_fingerprint = '\\x00' where idempotency_key like 'demo-2%'");

        await SeedAsync();

        Assert.Equal(first, await CountsAsync());
    }

    [Fact]
    public async Task Seeding_with_a_damaged_credentials_file_fails_with_one_line_that_names_the_file()
    {
        var path = Path.Combine(_work, "credentials.json");
        await File.WriteAllTextAsync(path, "not JSON at all");

        var seeded = await CommandLine.RunAsync(platform, "seed", "--credentials", path);
        var printed = await CommandLine.RunAsync(platform, "demo-accounts", "--credentials", path);

        Assert.Equal(2, seeded.ExitCode);
        Assert.StartsWith($"error: {path} is not a demo credentials file", seeded.Error);
        Assert.Contains("Delete it", seeded.Error);
        Assert.Single(seeded.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, printed.ExitCode);
        Assert.StartsWith($"error: {path} is not a demo credentials file", printed.Error);
        Assert.Equal("not JSON at all", await File.ReadAllTextAsync(path)); // left as it was, for the operator to look at
    }

    [Fact]
    public async Task Export_run_writes_the_demo_dataset_reports_it_and_verify_checks_it()
    {
        await SeedAsync();
        var output = Path.Combine(_work, "demo-export");

        var run = await CommandLine.RunAsync(platform, "export", "run", "--dataset", "demo", "--out", output);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("progress: write: ", run.Error); // redirected output gets plain progress lines, one at each phase
        Assert.Contains("progress: published: ", run.Error);
        Assert.Contains("data/train-00000-of-00001.parquet", run.Output);
        var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "manifest.json"))).RootElement;
        var rows = await DuckDb.QueryAsync($"select count(*) as n from read_parquet({DuckDb.Literal(Path.Combine(output, "data", "*.parquet"))})");
        Assert.Equal(manifest.GetProperty("rowsIncluded").GetInt64().ToString(), rows[0].GetProperty("n").ToString());
        Assert.Contains($"rows:     {manifest.GetProperty("rowsIncluded").GetInt64()}", run.Output);

        var verified = await CommandLine.RunAsync(platform, "export", "verify", output);
        Assert.Equal(0, verified.ExitCode);
        await File.AppendAllTextAsync(Path.Combine(output, "data", "train-00000-of-00001.parquet"), "tampered");
        var tampered = await CommandLine.RunAsync(platform, "export", "verify", output);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("FAIL  data/train-00000-of-00001.parquet", tampered.Output);

        var listed = await CommandLine.RunAsync(platform, "export", "list");
        Assert.Contains("succeeded", listed.Output);
    }

    [Fact]
    public async Task Refusals_are_one_clear_line_with_a_non_zero_exit()
    {
        await SeedAsync();
        var existing = Directory.CreateDirectory(Path.Combine(_work, "taken")).FullName;
        await File.WriteAllTextAsync(Path.Combine(existing, "keep.txt"), "mine");

        var taken = await CommandLine.RunAsync(platform, "export", "run", "--dataset", "demo", "--out", existing);
        var unknown = await CommandLine.RunAsync(platform, "export", "run", "--dataset", "nope", "--out", Path.Combine(_work, "x"));
        var missing = await CommandLine.RunAsync(platform, "export", "run", "--out", Path.Combine(_work, "y"));

        Assert.Equal(2, taken.ExitCode);
        Assert.StartsWith("error: ", taken.Error);
        Assert.Contains("not empty", taken.Error);
        Assert.Equal(["keep.txt"], Directory.GetFiles(existing).Select(Path.GetFileName));
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("demo", unknown.Error);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("--dataset", missing.Error);
    }

    [Fact]
    public async Task Without_a_connection_string_a_command_says_which_setting_is_missing()
    {
        var result = await CommandLine.RunAsync(null, "export", "list");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        Assert.Contains("ConnectionStrings:aisocial is not set", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public async Task An_admin_takes_a_role_away_and_suspends_an_account_from_the_command_line_and_both_are_audited()
    {
        var moderator = await platform.CreateAccountAsync(Ingest.Accounts.Roles.Moderator, Ingest.Accounts.Roles.User);

        var revoke = await CommandLine.RunAsync(platform, "accounts", "revoke", moderator.Handle, "moderator");
        var suspend = await CommandLine.RunAsync(platform, "accounts", "suspend", moderator.Handle, "--reason", "shared their password");
        var again = await CommandLine.RunAsync(platform, "accounts", "suspend", moderator.Handle, "--reason", "twice");
        var unknown = await CommandLine.RunAsync(platform, "accounts", "grant", "no_such_person", "admin");

        Assert.True(revoke.ExitCode == 0, revoke.Error);
        Assert.True(suspend.ExitCode == 0, suspend.Error);
        Assert.Equal((2, 2), (again.ExitCode, unknown.ExitCode));
        Assert.StartsWith("error: ", again.Error);
        Assert.Equal(["user"], await platform.ScalarAsync<string[]>("select array_agg(role) from ingest.account_roles where account_id = $1", moderator.Id));
        Assert.True(await platform.ScalarAsync<bool>("select suspended_at is not null from ingest.accounts where id = $1", moderator.Id));
        Assert.Equal(2L, await platform.ScalarAsync<long>(
            "select count(*) from ingest.audit_log where subject_id = $1 and action in ('account.roles.remove', 'account.suspend') and actor like 'cli:%'",
            moderator.Id.ToString()));
    }

    [Fact]
    public async Task Media_sweep_removes_an_old_file_no_row_refers_to_and_says_what_it_did()
    {
        var orphan = Path.Combine(platform.MediaRoot, "ab", "cd", "abcd" + new string('0', 60));
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        await File.WriteAllBytesAsync(orphan, TestImages.Png());
        File.SetLastWriteTimeUtc(orphan, DateTime.UtcNow.AddDays(-1));

        var result = await CommandLine.RunAsync(platform, "media", "sweep");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("Removed 0 temporary and 1 unreferenced file(s)", result.Output);
        Assert.False(File.Exists(orphan));
    }
}
