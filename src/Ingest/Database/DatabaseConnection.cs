using Npgsql;

namespace AiSocial.Ingest.Database;

/// <summary>Reads the connection setting as Npgsql takes it.</summary>
internal static class DatabaseConnection
{
    /// <summary>Statements each connection keeps prepared, unless the connection setting names its own number.</summary>
    public const int DefaultMaxAutoPrepare = 64;

    /// <summary>
    /// Has Npgsql prepare a statement once a connection has run it twice. Planning the timeline queries costs more than
    /// running them (about 5 ms against 3 ms at a million posts), so under load unprepared reads spend most of the
    /// machine on the planner: with prepared statements pgbench's home timeline p99 at 200 requests/s went from 49–78 ms
    /// to 19–20 ms. A connection setting that names <c>Max Auto Prepare</c> (0 turns it off, as a pooler in transaction
    /// mode without prepared-statement support needs) is left as it is.
    /// </summary>
    public static void PrepareRepeatedStatements(NpgsqlConnectionStringBuilder builder, string setting)
    {
        if (!NamesMaxAutoPrepare(setting))
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
            builder.AutoPrepareMinUsages = 2;
        }
    }

    private static bool NamesMaxAutoPrepare(string setting)
    {
        if (setting.TrimStart().StartsWith("postgres", StringComparison.OrdinalIgnoreCase) && setting.Contains("://", StringComparison.Ordinal))
        {
            return false; // URLs carry only sslmode (see Normalize)
        }

        var keys = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = setting }.Keys.Cast<string>();
        return keys.Any(k => k.Replace(" ", "", StringComparison.Ordinal).Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Accepts Npgsql keyword strings and <c>postgres://user:pass@host:port/db</c> URLs.</summary>
    public static string Normalize(string value)
    {
        value = value.Trim();
        if (!value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) &&
            !value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new NpgsqlConnectionStringBuilder(value).ConnectionString;
        }

        var uri = new Uri(value);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(userInfo[0]);
        }

        if (userInfo.Length == 2)
        {
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length == 2 && parts[0].Equals("sslmode", StringComparison.OrdinalIgnoreCase))
            {
                builder.SslMode = Enum.Parse<SslMode>(parts[1], ignoreCase: true);
            }
        }

        return builder.ConnectionString;
    }
}
