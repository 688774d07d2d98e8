using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace AiSocial.ServiceDefaults;

/// <summary>Hosts of processes that run once and exit: a command, a benchmark.</summary>
public static class OneShotHosts
{
    /// <summary>
    /// A builder without the configuration file watcher, which watches the content root (the working directory) and
    /// everything under it: run from the repository, it took in every file an export wrote (6,324 directories watched,
    /// strace). Such a process never reloads its settings. The switch must go in a source: a value set on a
    /// <see cref="ConfigurationManager"/> that has none is dropped.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string? applicationName = null, string? environmentName = null)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new("hostBuilder:reloadConfigOnChange", "false")]);
        return Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = applicationName,
            EnvironmentName = environmentName,
            Args = [],
            Configuration = configuration,
        });
    }
}
