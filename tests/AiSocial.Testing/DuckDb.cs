using System.Diagnostics;
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
        var start = new ProcessStartInfo("node", ["--input-type=module", "-e", Script])
        {
            // Bare imports in --eval code resolve from the working directory's node_modules.
            WorkingDirectory = Path.GetDirectoryName(NodeTools.NodeModules)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["AISOCIAL_SQL"] = sql;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"DuckDB failed ({process.ExitCode}) on: {sql}\n{await error}");
        }

        return JsonDocument.Parse(await output).RootElement.EnumerateArray().ToList();
    }

    /// <summary>Quotes a path as a DuckDB string literal.</summary>
    public static string Literal(string value) => $"'{value.Replace("'", "''", StringComparison.Ordinal)}'";
}
