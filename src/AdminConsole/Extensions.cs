using AiSocial.AdminConsole.Account;
using AiSocial.AdminConsole.Media;
using AiSocial.Moderation;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using MudBlazor.Services;
using Npgsql;
using Quartz;

namespace AiSocial.AdminConsole;

public static class Extensions
{
    public static IHostApplicationBuilder AddAdminConsole(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var options = builder.Configuration.GetSection(ConsoleOptions.Section).Get<ConsoleOptions>() ?? new ConsoleOptions();

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddCascadingAuthenticationState();
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.LoginPath = "/signin";
                cookie.AccessDeniedPath = "/denied";
                cookie.Cookie.Name = "aisocial.console";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;
            });
        services.AddAuthorization(ConsolePolicies.Add);
        if (!string.IsNullOrEmpty(options.KeysDirectory))
        {
            services.AddDataProtection().SetApplicationName("aisocial-console").PersistKeysToFileSystem(new DirectoryInfo(options.KeysDirectory));
        }

        if (options.RunScheduler)
        {
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
                    store.UsePostgres(source => source.DataSourceFactory = services => services.GetRequiredService<NpgsqlDataSource>());
                    store.ConfigureStore(ado => ado.TablePrefix = "quartz.qrtz_");
                    store.UseClustering(_ => { });
                    store.ProvisionSchema();
                });
                quartz.AddModerationJobs(builder.Configuration);
            });
            builder.AddQuartzHostedService(hosted => hosted.WaitForJobsToComplete = true);
        }

        return builder;
    }

    public static IEndpointRouteBuilder MapConsoleEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapAccountEndpoints();
        endpoints.MapStaffMedia();
        return endpoints;
    }
}
