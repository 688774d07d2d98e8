using System.Security.Cryptography;
using System.Text;
using AiSocial.Ingest.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AiSocial.Testing;

/// <summary>
/// A database per test class, cloned from a template migrated once per set of migration scripts. The template's name
/// carries a hash of the scripts, so a changed migration gets a fresh template; an advisory lock lets parallel test
/// processes share it.
/// </summary>
public static class TestDatabase
{
    public const string EnvironmentVariable = "AISOCIAL_TEST_DB";

    private static readonly Lazy<Task<string>> Template = new(CreateTemplateAsync);

    public static IReadOnlyList<MigrationModule> Modules =>
        [Ingest.Extensions.Migrations, Moderation.Extensions.Migrations, Export.Extensions.Migrations];

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set. Run the tests with ./aisocial test, which starts a throwaway PostgreSQL and sets it.");

    public static string ConnectionStringFor(string database, bool pooling = true) =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = database, Pooling = pooling, ApplicationName = "aisocial-tests" }.ConnectionString;

    /// <summary>Creates a new database from the template and returns its connection string.</summary>
    public static async Task<string> CreateAsync()
    {
        var template = await Template.Value;
        var name = $"t_{Guid.NewGuid():N}";
        await using var connection = await OpenAdminAsync();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ExecuteAsync(connection, $"create database \"{name}\" template \"{template}\"");
                return ConnectionStringFor(name);
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 20)
            {
                await Task.Delay(100 * attempt); // another session is briefly connected to the template
            }
        }
    }

    /// <summary>An empty database, for tests of the migration runner itself.</summary>
    public static async Task<string> CreateEmptyAsync()
    {
        var name = $"e_{Guid.NewGuid():N}";
        await using var connection = await OpenAdminAsync();
        await ExecuteAsync(connection, $"create database \"{name}\"");
        return ConnectionStringFor(name);
    }

    public static async Task DropAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var connection = await OpenAdminAsync();
        await ExecuteAsync(connection, $"drop database if exists \"{name}\" with (force)");
    }

    private static async Task<string> CreateTemplateAsync()
    {
        var scripts = Modules.SelectMany(m => m.LoadScripts()).Select(s => $"{s.Module}/{s.Name}:{s.Checksum}");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", scripts))));
        var name = $"aisocial_template_{hash[..16]}";
        await using var connection = await OpenAdminAsync();
        await ExecuteAsync(connection, "select pg_advisory_lock(4242)");
        try
        {
            await using (var exists = new NpgsqlCommand("select 1 from pg_database where datname = $1", connection))
            {
                exists.Parameters.Add(new() { Value = name });
                if (await exists.ExecuteScalarAsync() is not null)
                {
                    return name;
                }
            }

            // Built under another name and renamed when complete, so a crash never leaves a half-migrated template.
            var building = $"{name}_building";
            await ExecuteAsync(connection, $"drop database if exists \"{building}\" with (force)");
            await ExecuteAsync(connection, $"create database \"{building}\"");
            await using (var dataSource = NpgsqlDataSource.Create(ConnectionStringFor(building, pooling: false)))
            {
                await new MigrationRunner(dataSource, Modules, NullLogger<MigrationRunner>.Instance).ApplyAsync();
            }

            await ExecuteAsync(connection, $"alter database \"{building}\" rename to \"{name}\"");
            return name;
        }
        finally
        {
            await ExecuteAsync(connection, "select pg_advisory_unlock(4242)");
        }
    }

    private static async Task<NpgsqlConnection> OpenAdminAsync()
    {
        var connection = new NpgsqlConnection(ConnectionStringFor("postgres", pooling: false));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
