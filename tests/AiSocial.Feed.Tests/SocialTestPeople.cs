using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Posts;

namespace AiSocial.Feed.Tests;

/// <summary>A signed-in person for the interaction tests: their account and a client that sends their token.</summary>
public sealed record Person(Guid Id, string Handle, HttpClient Client);

public static class SocialTestPeople
{
    /// <summary>A new account with a bearer token, made through the services (no password hashing per request).</summary>
    public static async Task<Person> PersonAsync(this FeedFixture feed)
    {
        var account = await feed.CreateAccountAsync();
        var token = await feed.Get<AccessTokens>().IssueAsync(account.Id, CancellationToken.None);
        return new Person(account.Id, account.Handle, feed.Client(token.Token));
    }

    /// <summary>A post by <paramref name="author"/> that passed moderation, as the scanner and reviewers publish posts.</summary>
    public static async Task<Guid> PublishedPostAsync(this FeedFixture feed, Person author, Guid? remixOf = null, byte[]? image = null)
    {
        var post = await feed.SubmitPostAsync(author.Id, image);
        if (remixOf is { } original)
        {
            await feed.ExecuteAsync("update ingest.posts set remix_of = $1 where id = $2", original, post.Id);
        }

        await using var connection = await feed.DataSource.OpenConnectionAsync();
        Assert.True(await PostStore.TransitionAsync(connection, post.Id, PostStatus.Published, [PostStatus.Pending], CancellationToken.None));
        return post.Id;
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    public static async Task<JsonElement> GetJsonAsync(this Person person, string url) => await (await person.Client.GetAsync(url)).JsonAsync(200);

    public static async Task<JsonElement> PostJsonAsync(this Person person, string url, object? body = null, int status = 200) =>
        await (await person.Client.PostAsync(url, body is null ? null : JsonContent.Create(body))).JsonAsync(status);

    public static async Task<JsonElement> DeleteJsonAsync(this Person person, string url, int status = 200) =>
        await (await person.Client.DeleteAsync(url)).JsonAsync(status);
}
