using AiSocial.AdminConsole;
using AiSocial.AdminConsole.Components;
using AiSocial.AdminConsole.Hosting;
using AiSocial.Export;
using AiSocial.ServiceDefaults;

if (WorkerHost.IsRequested(args))
{
    await WorkerHost.RunAsync(args);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddExport();
builder.AddAdminConsole();

var app = builder.Build();
app.UseServiceDefaults();
app.UseConsolePages();
app.UseRouting(); // after the error pages, so a request they re-run is routed to its page anew
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapDefaultEndpoints();
app.MapStaticAssets();
app.MapConsoleEndpoints();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
await app.RunAsync();

/// <summary>The console host's entry point, named so tests can start it.</summary>
public partial class Program;
