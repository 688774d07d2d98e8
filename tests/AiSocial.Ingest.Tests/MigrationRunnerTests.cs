using System.Reflection;
using AiSocial.Ingest.Database;
using AiSocial.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AiSocial.Ingest.Tests;

public sealed class MigrationRunnerTests : IAsyncLifetime
{
    private string _connectionString = "";
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        _connectionString = await TestDatabase.CreateEmptyAsync();
        _dataSource = NpgsqlDataSource.Create(_connectionString);
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await TestDatabase.DropAsync(_connectionString);
    }

    private MigrationRunner Runner(params MigrationModule[] modules) =>
        new(_dataSource, modules.Length == 0 ? TestDatabase.Modules : modules, NullLogger<MigrationRunner>.Instance);

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Applies_every_module_in_order_and_records_each_script_with_its_checksum()
    {
        var applied = await Runner().ApplyAsync();

        var expected = TestDatabase.Modules.SelectMany(m => m.LoadScripts()).ToList();
        Assert.Equal(expected.Select(s => $"{s.Module}/{s.Name}"), applied.Select(s => $"{s.Module}/{s.Name}"));
        Assert.Equal(["ingest", "moderation", "export"], applied.Select(s => s.Module).Distinct());
        await using var command = _dataSource.CreateCommand("select module || '/' || script, checksum from aisocial_meta.migrations");
        await using var reader = await command.ExecuteReaderAsync();
        var journal = new Dictionary<string, string>();
        while (await reader.ReadAsync())
        {
            journal[reader.GetString(0)] = reader.GetString(1);
        }

        Assert.Equal(expected.ToDictionary(s => $"{s.Module}/{s.Name}", s => s.Checksum), journal);
        Assert.True(await ScalarAsync<bool>("select to_regclass('export.runs') is not null and to_regclass('moderation.labels') is not null"));
    }

    [Fact]
    public async Task A_second_run_applies_nothing()
    {
        await Runner().ApplyAsync();

        Assert.Empty(await Runner().ApplyAsync());
        Assert.Empty(await Runner().PendingAsync());
    }

    [Fact]
    public async Task Runners_starting_together_apply_each_script_once()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Runner().ApplyAsync())));

        Assert.Equal(TestDatabase.Modules.Sum(m => m.LoadScripts().Count), results.Sum(r => r.Count));
    }

    [Fact]
    public async Task Refuses_to_run_when_an_applied_script_was_changed()
    {
        await Runner().ApplyAsync();
        await using (var command = _dataSource.CreateCommand(
            "update aisocial_meta.migrations set checksum = repeat('0', 64) where module = 'ingest' and script = '0003_posts.sql'"))
        {
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<MigrationJournalMismatchException>(() => Runner().ApplyAsync());
        Assert.Contains("ingest/0003_posts.sql was changed", error.Message);
        await Assert.ThrowsAsync<MigrationJournalMismatchException>(() => Runner().PendingAsync());
    }

    [Fact]
    public async Task A_host_refuses_to_start_when_an_applied_script_was_changed()
    {
        await Runner().ApplyAsync();
        await using (var command = _dataSource.CreateCommand("update aisocial_meta.migrations set checksum = 'edited' where script = '0001_accounts.sql'"))
        {
            await command.ExecuteNonQueryAsync();
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:aisocial"] = _connectionString });
        builder.AddIngest();
        using var host = builder.Build();

        await Assert.ThrowsAsync<MigrationJournalMismatchException>(() => host.StartAsync());
    }

    [Fact]
    public async Task Refuses_to_run_when_the_database_has_a_script_this_build_does_not_ship()
    {
        await Runner().ApplyAsync();
        await using (var command = _dataSource.CreateCommand(
            "insert into aisocial_meta.migrations (module, script, checksum) values ('ingest', '9999_from_the_future.sql', 'x')"))
        {
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<MigrationJournalMismatchException>(() => Runner().ApplyAsync());
        Assert.Contains("9999_from_the_future.sql", error.Message);
    }

    [Fact]
    public async Task A_failing_script_leaves_the_database_exactly_as_it_was()
    {
        var broken = new MigrationModule("broken", 99, Assembly.GetExecutingAssembly());
        var brokenScripts = broken.LoadScripts();
        Assert.Equal(["0001_creates_a_table.sql", "0002_fails.sql"], brokenScripts.Select(s => s.Name));

        await Assert.ThrowsAsync<PostgresException>(() =>
            Runner([.. TestDatabase.Modules, broken]).ApplyAsync());

        Assert.False(await ScalarAsync<bool>("select exists (select 1 from pg_namespace where nspname in ('ingest', 'broken'))"));
        Assert.False(await ScalarAsync<bool>("select to_regclass('aisocial_meta.migrations') is not null"));
    }
}
