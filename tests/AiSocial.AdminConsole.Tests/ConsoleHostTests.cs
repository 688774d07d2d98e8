using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Posts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace AiSocial.AdminConsole.Tests;

public sealed class ConsoleHostTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task A_console_without_a_models_directory_refuses_to_start_and_names_the_setting()
    {
        await using var host = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("ConnectionStrings:aisocial", console.ConnectionString);
            builder.UseSetting("Models:Directory", "");
            builder.UseSetting("Export:Root", console.ExportRoot);
        });

        var refused = Assert.Throws<OptionsValidationException>(() => host.Server);

        Assert.Contains("Models:Directory is not set", refused.Message);
    }

    [Fact]
    public async Task Staff_api_clients_fetch_unpublished_media_with_a_bearer_token_and_other_people_cannot()
    {
        var author = await console.CreateAccountAsync();
        var post = await console.SubmitPostAsync(author.Id);
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        var tokens = console.Get<AccessTokens>();

        var staff = console.Browser();
        staff.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await tokens.IssueAsync(moderator.Id, default)).Token);
        var person = console.Browser();
        person.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await tokens.IssueAsync(author.Id, default)).Token);

        var seen = await staff.GetAsync($"/media/{post.Media.Sha256}");
        var refused = await person.GetAsync($"/media/{post.Media.Sha256}");

        Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
        Assert.Equal(PostStatus.Pending, post.Status);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("forbidden", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }
}
