using AiSocial.Feed;
using AiSocial.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFeed();

var app = builder.Build();
app.UseServiceDefaults();
app.UseFeedContentSecurityPolicy();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapFeedApi();
app.Run();

/// <summary>The Feed host's entry point, named so tests can start it.</summary>
public partial class Program;
