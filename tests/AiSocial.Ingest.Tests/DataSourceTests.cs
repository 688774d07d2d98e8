using AiSocial.Ingest.Database;
using AiSocial.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AiSocial.Ingest.Tests;

/// <summary>The shared data source the hosts build from <c>ConnectionStrings:aisocial</c>.</summary>
public sealed class DataSourceTests : IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await TestDatabase.CreateEmptyAsync();

    public Task DisposeAsync() => TestDatabase.DropAsync(_connectionString);

    [Fact]
    public async Task A_statement_run_twice_on_a_connection_is_prepared_so_the_planner_is_not_paid_again()
    {
        await using var dataSource = Build(_connectionString);

        Assert.Equal(["select $1::int + 1"], await PreparedAfterRepeatingAsync(dataSource));
    }

    [Fact]
    public async Task A_connection_setting_that_names_max_auto_prepare_is_obeyed()
    {
        await using var dataSource = Build(_connectionString + ";Max Auto Prepare=0");

        Assert.Empty(await PreparedAfterRepeatingAsync(dataSource));
    }

    private static NpgsqlDataSource Build(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:aisocial", connectionString)]);
        builder.AddAiSocialDatabase();
        return builder.Services.BuildServiceProvider().GetRequiredService<NpgsqlDataSource>();
    }

    /// <summary>Runs one statement three times on one connection and lists what the server then holds prepared.</summary>
    private static async Task<List<string>> PreparedAfterRepeatingAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        for (var i = 0; i < 3; i++)
        {
            await using var repeated = new NpgsqlCommand("select $1::int + 1", connection) { Parameters = { new() { Value = i } } };
            Assert.Equal(i + 1, await repeated.ExecuteScalarAsync());
        }

        await using var list = new NpgsqlCommand("select statement from pg_prepared_statements where statement not like '%pg_prepared_statements%'", connection);
        var prepared = new List<string>();
        await using var reader = await list.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            prepared.Add(reader.GetString(0));
        }

        return prepared;
    }
}
