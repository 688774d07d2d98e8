using AiSocial.Moderation.Checks;
using AiSocial.Moderation.ContentSafety;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AiSocial.Moderation.Tests.ContentSafety;

/// <summary>The double, started once for a test class; each test resets it.</summary>
public sealed class ContentSafetyDoubleFixture : IAsyncLifetime
{
    public ContentSafetyDouble Service { get; private set; } = null!;

    public async Task InitializeAsync() => Service = await ContentSafetyDouble.StartAsync();

    public async Task DisposeAsync() => await Service.DisposeAsync();
}

/// <summary>
/// Content Safety's services alone (no database) in a host of their own, pointed at the double: a fresh host per test
/// gives a fresh circuit breaker and rate limiter. Timeouts and retry delays are short so failures show quickly.
/// </summary>
public sealed class ContentSafetyServices : IDisposable
{
    private readonly IHost _host;

    public ContentSafetyServices(ContentSafetyDouble service, IDictionary<string, string?>? overrides = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", Args = [] });
        var settings = Settings(service.Endpoint);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddContentSafety();
        _host = builder.Build();
    }

    /// <summary>What every test host gets: the double's endpoint and key, 4 s in all, 1 s per attempt, retries 10 ms apart.</summary>
    public static Dictionary<string, string?> Settings(string endpoint) => new()
    {
        ["ContentSafety:Endpoint"] = endpoint,
        ["ContentSafety:Key"] = ContentSafetyDouble.Key,
        ["ContentSafety:TimeoutSeconds"] = "4",
        ["ContentSafety:AttemptTimeoutSeconds"] = "1",
        ["ContentSafety:RetryDelayMilliseconds"] = "10",
        ["ContentSafety:MaxRetries"] = "3",
        ["ContentSafety:CircuitBreakerMinimumThroughput"] = "1000",
    };

    public ContentSafetyClient Client => _host.Services.GetRequiredService<ContentSafetyClient>();

    public T Check<T>()
        where T : IPostCheck => _host.Services.GetServices<IPostCheck>().OfType<T>().Single();

    /// <summary>Starts the host, which validates the options.</summary>
    public Task StartAsync() => _host.StartAsync();

    public void Dispose() => _host.Dispose();
}
