using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace AiSocial.Testing;

/// <summary>
/// The SQL commands one database received while an action ran, from Npgsql's own traces (its "Npgsql" activity
/// source), so a test can count round trips. Other test classes run beside it on databases of their own and are left out.
/// </summary>
public sealed class DatabaseCommands : IDisposable
{
    private readonly ConcurrentQueue<string> _commands = new();
    private readonly ActivityListener _listener;

    public DatabaseCommands(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("db.namespace") as string == database && activity.GetTagItem("db.query.text") is string text)
                {
                    _commands.Enqueue(text);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<string> Texts => [.. _commands];

    /// <summary>The commands whose text mentions <paramref name="table"/> (schema-qualified, e.g. ingest.accounts).</summary>
    public int Touching(string table) => _commands.Count(text => text.Contains(table, StringComparison.Ordinal));

    public void Dispose() => _listener.Dispose();
}
