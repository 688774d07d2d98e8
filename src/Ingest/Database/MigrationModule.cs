using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace AiSocial.Ingest.Database;

/// <summary>One module's ordered SQL scripts, embedded as resources under <c>Migrations/</c>.</summary>
/// <param name="Name">The module, which is also the PostgreSQL schema it owns.</param>
/// <param name="Order">Modules migrate in ascending order, so a module runs after the ones it depends on.</param>
/// <param name="Assembly">The assembly holding the scripts.</param>
public sealed record MigrationModule(string Name, int Order, Assembly Assembly)
{
    public IReadOnlyList<MigrationScript> LoadScripts()
    {
        var prefix = Assembly.GetName().Name + ".Migrations.";
        return Assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name =>
            {
                using var stream = Assembly.GetManifestResourceStream(name)!;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                // Line endings are normalised so a checkout with CRLF does not look like an edited script.
                var sql = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
                return new MigrationScript(Name, name[prefix.Length..], sql);
            })
            .ToList();
    }
}

public sealed record MigrationScript(string Module, string Name, string Sql)
{
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}
