using AiSocial.AdminConsole.Account;
using AiSocial.AdminConsole.Apis;
using AiSocial.AdminConsole.Datasets;
using AiSocial.AdminConsole.Events;
using AiSocial.AdminConsole.Hosting;
using AiSocial.AdminConsole.Media;
using AiSocial.AdminConsole.Policies;
using AiSocial.AdminConsole.Timelines;
using AiSocial.Authentication;
using AiSocial.Export.Runs;
using AiSocial.Moderation;
using AiSocial.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using Npgsql;
using OpenTelemetry.Metrics;
using Quartz;

namespace AiSocial.AdminConsole;

public static class Extensions
{
    // Staff sign in with a cookie; API clients send the bearer token POST /api/v1/sessions gave them.
    private const string CookieOrBearer = "cookie-or-bearer";

    public static IHostApplicationBuilder AddAdminConsole(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, StaffSessionRevalidation>();
        services.AddAuthentication(CookieOrBearer)
            .AddPolicyScheme(CookieOrBearer, "Cookie or bearer token", scheme => scheme.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? BearerTokens.Scheme
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.LoginPath = "/signin";
                cookie.AccessDeniedPath = "/denied";
                cookie.Cookie.Name = "aisocial.console";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;
                // Secure whenever the request is HTTPS, which includes a TLS proxy's (see forwarded headers).
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.Events.OnValidatePrincipal = StaffSessionValidation.ValidateAsync;
                // A person in a browser is sent to sign in; an API client is told, with a problem, instead of redirected.
                cookie.Events.OnRedirectToLogin = context => RedirectBrowsers(context, StatusCodes.Status401Unauthorized);
                cookie.Events.OnRedirectToAccessDenied = context => RedirectBrowsers(context, StatusCodes.Status403Forbidden);
            })
            .AddBearerTokens();
        services.AddAuthorization(ConsolePolicies.Add);
        services.AddSingleton<ConsoleDatasets>();
        services.AddDataProtection().SetApplicationName("aisocial-console");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<ConsoleOptions>, ILoggerFactory>((keys, console, logging) =>
        {
            if (console.Value.KeysDirectory is { Length: > 0 } directory)
            {
                keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(directory), logging);
            }
        });

        builder.AddScheduler();
        services.AddOptions<QuartzHostedServiceOptions>().Configure<IOptions<ConsoleOptions>>((hosted, console) =>
            hosted.AutoStart = console.Value.RunScheduler);

        services.ConfigureOpenTelemetryMeterProvider(meters => meters.AddPrometheusExporter());
        return builder;
    }

    /// <summary>
    /// Quartz on the clustered job store in the platform's PostgreSQL, with every scheduled job: the console runs it
    /// (unless <see cref="ConsoleOptions.RunScheduler"/> is off) and so does a headless worker, and the nodes share the
    /// firings. Every node registers every job, since any node may be handed any firing.
    /// </summary>
    internal static IHostApplicationBuilder AddScheduler(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddTransient<MediaSweepJob>();
        services.TryAddTransient<EventPartitionJob>();
        services.TryAddTransient<EventRollupJob>();
        services.TryAddTransient<IdempotencyKeyPurgeJob>();
        services.TryAddTransient<TrendingJob>();
        services.TryAddTransient<DatasetScheduleJob>();
        services.TryAddTransient<ExportShardJob>();
        // Export runs started on a node with a running scheduler have their shards written by the cluster's nodes.
        services.TryAddSingleton<IExportShardQueue, QuartzShardQueue>();
        builder.AddQuartz(quartz =>
        {
            quartz.ConfigureScheduler(scheduler =>
            {
                scheduler.InstanceName = "aisocial";
                scheduler.GenerateInstanceId = true;
            });
            quartz.UsePersistentStore(store =>
            {
                // The platform's one data source: same pool, same connection settings, resolved when first used.
                store.UsePostgres(source => source.DataSourceFactory = provider => provider.GetRequiredService<NpgsqlDataSource>());
                store.ConfigureStore(ado => ado.TablePrefix = "quartz.qrtz_");
                store.UseClustering(_ => { });
                store.ProvisionSchema();
            });
            quartz.AddModerationJobs();
            quartz.AddMediaSweep();
            quartz.AddEventJobs();
            quartz.AddTrendingRanking();
            quartz.AddDatasetSchedules();
        });
        builder.AddQuartzHostedService(hosted => hosted.WaitForJobsToComplete = true);
        return builder;
    }

    /// <summary>The console's own middleware, inside the service defaults: its pages' security policy, and error pages for browsers.</summary>
    public static IApplicationBuilder UseConsolePages(this IApplicationBuilder app)
    {
        app.UseContentSecurityPolicy();
        app.UseBrowserErrorPages();
        return app;
    }

    private static Task RedirectBrowsers(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (BrowserErrorPages.WantsHtml(context.HttpContext))
        {
            context.Response.Redirect(context.RedirectUri);
        }
        else
        {
            context.Response.StatusCode = status;
        }

        return Task.CompletedTask;
    }

    public static IEndpointRouteBuilder MapConsoleEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var console = endpoints.MapGroup("").CheckTextInput();
        console.MapAccountEndpoints();
        console.MapStaffMedia();
        console.MapPolicyEndpoints();
        console.MapCalibrationApi();
        console.MapDatasetEndpoints();
        // Prometheus scrapes the platform's meters here; the console is an internal host.
        endpoints.MapPrometheusScrapingEndpoint();
        return endpoints;
    }
}
