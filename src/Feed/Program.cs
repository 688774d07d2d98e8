using AiSocial.Feed;
using AiSocial.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFeed();

var app = builder.Build();
app.UseServiceDefaults();
app.UseFeedContentSecurityPolicy();
app.UseRequestLimits();
app.UseAuthentication();
app.UseRateLimiter(); // after authentication: it limits per account as well as per address
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapFeedApi();
app.Run();

/// <summary>The Feed host's entry point, named so tests can start it.</summary>
public partial class Program;
