using System.Text.Json;

namespace AiSocial.Testing;

/// <summary>
/// DuckDB, run in Node from the npm package <c>./aisocial</c> installs: an independent reader to check that the
/// Parquet files the platform writes say what they should.
/// </summary>
public static class DuckDb
{
    private const string Script =
        """
        import { DuckDBInstance } from '@duckdb/node-api';
        const instance = await DuckDBInstance.create(':memory:');
        const connection = await instance.connect();
        const reader = await connection.runAndReadAll(process.env.AISOCIAL_SQL);
        process.stdout.write(JSON.stringify(reader.getRowObjectsJson()));
        """;

    public static async Task<IReadOnlyList<JsonElement>> QueryAsync(string sql)
    {
        var output = await NodeTools.RunAsync($"DuckDB on: {sql}", ["--input-type=module", "-e", Script],
            new Dictionary<string, string> { ["AISOCIAL_SQL"] = sql });
        return JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
    }

    /// <summary>Quotes a path as a DuckDB string literal.</summary>
    public static string Literal(string value) => $"'{value.Replace("'", "''", StringComparison.Ordinal)}'";
}
