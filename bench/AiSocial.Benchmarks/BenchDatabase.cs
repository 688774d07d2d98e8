using Npgsql;

namespace AiSocial.Benchmarks;

/// <summary>A throwaway database on the benchmark's server (<c>AISOCIAL_BENCH_DB</c>), dropped, whoever is connected, when disposed.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _admin;
    private readonly string _name;

    private BenchDatabase(string server, string name)
    {
        _admin = new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString;
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public string ConnectionString { get; }

    /// <summary>Creates <c>aisocial_bench_{purpose}{pid}</c>, replacing one a killed run of this process id left behind.</summary>
    public static async Task<BenchDatabase> CreateAsync(string server, string purpose)
    {
        var database = new BenchDatabase(server, $"aisocial_bench_{purpose}{Environment.ProcessId}");
        await database.ExecuteAsync($"drop database if exists {database._name}");
        await database.ExecuteAsync($"create database {database._name}");
        return database;
    }

    public async ValueTask DisposeAsync() => await ExecuteAsync($"drop database if exists {_name} with (force)");

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
