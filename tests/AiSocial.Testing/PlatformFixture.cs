using AiSocial.Export;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Policy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit;

namespace AiSocial.Testing;

/// <summary>
/// A fresh database and media root for one test class, and the platform's services wired to them. Subclasses decide
/// what hosts the services (a generic host here; the Feed or console web host in their test projects).
/// </summary>
public abstract class DatabaseFixture : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    public string MediaRoot { get; } = Directory.CreateTempSubdirectory("aisocial-media-").FullName;

    public string ExportRoot { get; } = Directory.CreateTempSubdirectory("aisocial-exports-").FullName;

    public abstract IServiceProvider Services { get; }

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    public NpgsqlDataSource DataSource => Get<NpgsqlDataSource>();

    /// <summary>Settings every host under test gets: this class's database, media and export roots, the prepared models, no background scanning.</summary>
    protected IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ConnectionStrings:aisocial"] = ConnectionString,
        ["Media:Root"] = MediaRoot,
        ["Export:Root"] = ExportRoot,
        ["Models:Directory"] = TestModels.Directory,
        ["Moderation:RunScheduledScans"] = "false",
        ["Console:RunScheduler"] = "false",
    };

    public async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync();
        await StartAsync();
    }

    protected abstract Task StartAsync();

    protected abstract ValueTask StopAsync();

    public async Task DisposeAsync()
    {
        await StopAsync();
        await TestDatabase.DropAsync(ConnectionString);
        Directory.Delete(MediaRoot, recursive: true);
        Directory.Delete(ExportRoot, recursive: true);
    }

    public async Task<Account> CreateAccountAsync(params string[] roles)
    {
        var handle = $"u_{Guid.NewGuid():N}"[..20];
        return (await Get<AccountRegistry>().RegisterAsync(new NewAccount(handle, $"Test {handle}", TestPasswords.Default, 1990),
            roles.Length == 0 ? [Roles.User] : roles, CancellationToken.None)).Value;
    }

    public async Task<Post> SubmitPostAsync(Guid authorId, byte[]? image = null, string prompt = "a test prompt", string? key = null)
    {
        await using var content = new MemoryStream(image ?? TestImages.Unique());
        var submitted = await Get<PostSubmissions>().SubmitAsync(authorId, key ?? Guid.NewGuid().ToString(), new PostDraft(prompt, null), content,
            CancellationToken.None);
        return submitted.Value.Post;
    }

    /// <summary>
    /// Activates a policy version that holds every post for a person (the shipped one publishes what every check
    /// passes), for tests about the review queue and what reviewers decide. Once per fixture.
    /// </summary>
    public async Task HoldEveryPostAsync()
    {
        var store = Get<PolicyStore>();
        var (active, _) = await store.LiveAsync();
        if (active.Document.Rules.Count == 0 && active.Document.Default.Action == PolicyAction.Hold)
        {
            return;
        }

        var actor = Actor.System("test");
        var draft = (await store.CreateDraftAsync(actor, null, HoldEveryPost)).Value;
        _ = (await store.SaveDraftAsync(actor, draft.Version, """{ "rules": [], "default": { "action": "hold", "queue": "general", "priority": 50 } }""",
            HoldEveryPost)).Value;
        _ = (await store.ActivateAsync(actor, draft.Version)).Value;
    }

    private const string HoldEveryPost = "tests: every post waits for a person";

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Files under the media root: with <paramref name="thumbnails"/> false, only images (each has its thumbnail beside it).</summary>
    public int MediaFileCount(bool thumbnails = true) =>
        Directory.EnumerateFiles(MediaRoot, "*", SearchOption.AllDirectories).Count(f => thumbnails || !f.EndsWith(".thumb.webp", StringComparison.Ordinal));

    /// <summary>
    /// The number of rows in every table of every module, and of files under the media root: what a refused request
    /// must leave as it was. The audit log and the sign-in failure counts are left out; refusals are recorded there.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, long>> EverythingStoredAsync()
    {
        var tables = new List<string>();
        await using (var command = DataSource.CreateCommand(
            """
            select format('%I.%I', table_schema, table_name) from information_schema.tables
            where table_schema in ('ingest', 'moderation', 'export') and table_type = 'BASE TABLE'
              and table_name not in ('audit_log', 'sign_in_failures')
            order by 1
            """))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            counts[table] = await ScalarAsync<long>($"select count(*) from {table}");
        }

        counts["media files"] = MediaFileCount();
        return counts;
    }

    /// <summary>Everything a post submission writes; a refused request must leave all of it unchanged.</summary>
    public async Task<(long Posts, long Media, long Outbox, int Files)> StoredAsync() => (
        await ScalarAsync<long>("select count(*) from ingest.posts"),
        await ScalarAsync<long>("select count(*) from ingest.media"),
        await ScalarAsync<long>("select count(*) from ingest.outbox"),
        MediaFileCount(thumbnails: false));
}

/// <summary>The platform's services in a generic host that is built but not started: what the command line uses.</summary>
public class PlatformFixture : DatabaseFixture
{
    private IHost? _host;

    public override IServiceProvider Services => _host!.Services;

    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    protected override Task StartAsync()
    {
        var settings = Settings;
        Configure(settings);
        _host = BuildHost(settings, Customize);
        return Task.CompletedTask;
    }

    /// <summary>Every module's services on the given settings, in a host that is built but not started.</summary>
    public static IHost BuildHost(IDictionary<string, string?> settings, Action<HostApplicationBuilder>? customize = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", Args = [] });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddExport();
        customize?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>Changes to the services before the host is built, such as an extra check.</summary>
    protected virtual void Customize(HostApplicationBuilder builder)
    {
    }

    protected override ValueTask StopAsync()
    {
        _host?.Dispose();
        return ValueTask.CompletedTask;
    }
}

public static class TestPasswords
{
    public const string Default = "correct horse battery staple";
}
