using AiSocial.AdminConsole;
using AiSocial.AdminConsole.Components;
using AiSocial.Export;
using AiSocial.ServiceDefaults;

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
app.Run();

/// <summary>The console host's entry point, named so tests can start it.</summary>
public partial class Program;
