using System.Globalization;
using System.Net;
using System.Text;
using AiSocial.Feed.Apis;

namespace AiSocial.Feed.Tests;

/// <summary>A Feed that lets each account send five API requests a minute (and each address plenty).</summary>
public sealed class AccountLimitedFeed : FeedFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["RateLimits:PerAccountPermitLimit"] = "5";
        settings["RateLimits:PerAccountWindow"] = "00:01:00";
    }
}

/// <summary>A Feed that lets each address send four API requests a minute.</summary>
public sealed class AddressLimitedFeed : FeedFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["RateLimits:PerAddressPermitLimit"] = "4";
        settings["RateLimits:PerAddressWindow"] = "00:01:00";
    }
}

public sealed class AccountRateLimitTests(AccountLimitedFeed feed) : IClassFixture<AccountLimitedFeed>
{
    [Fact]
    public async Task An_account_over_its_limit_gets_429_with_Retry_After_and_another_account_is_not_held_back()
    {
        var (_, _, token) = await feed.SignUpAsync();
        var (_, _, other) = await feed.SignUpAsync();
        var client = feed.Client(token);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await client.GetAsync("/api/v1/me"));
        }

        Assert.All(answers.Take(5), a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var problem = await answers[5].AssertProblemAsync(429, "rate-limited");
        Assert.Contains("account", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.InRange(int.Parse(answers[5].Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(HttpStatusCode.OK, (await feed.Client(other).GetAsync("/api/v1/me")).StatusCode);
    }
}

public sealed class AddressRateLimitTests(AddressLimitedFeed feed) : IClassFixture<AddressLimitedFeed>
{
    [Fact]
    public async Task An_address_over_its_limit_gets_429_on_the_API_but_health_and_media_are_not_limited()
    {
        var client = feed.Client();

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await client.GetAsync("/api/v1/timelines/public"));
        }

        Assert.All(answers.Take(4), a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        await answers[4].AssertProblemAsync(429, "rate-limited");
        Assert.True(answers[4].Headers.RetryAfter is not null);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/media/{new string('a', 64)}")).StatusCode);
    }
}

public sealed class RequestSizeLimitTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private static StringContent PaddedJson(string json, int bytes) =>
        new(json[..^1] + new string(' ', bytes - json.Length) + "}", Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_JSON_body_over_64_KB_is_refused_with_413_and_events_take_more()
    {
        var (_, _, token) = await feed.SignUpAsync();
        var signUp = """{"handle":"sizey","displayName":"Sizey","password":"a long enough password","birthYear":1990}""";
        var events = $$"""{"events":[{"type":"view","postId":"{{Guid.NewGuid()}}"}]}""";

        var tooLarge = await feed.Client().PostAsync("/api/v1/accounts", PaddedJson(signUp, (int)RequestLimits.JsonBodyBytes + 1));
        var justFits = await feed.Client().PostAsync("/api/v1/accounts", PaddedJson(signUp, (int)RequestLimits.JsonBodyBytes));
        var largeEvents = await feed.Client(token).PostAsync("/api/v1/events", PaddedJson(events, 200 * 1024));
        var tooLargeEvents = await feed.Client(token).PostAsync("/api/v1/events", PaddedJson(events, (int)EventsApi.MaxBodyBytes + 1));

        var problem = await tooLarge.AssertProblemAsync(413, "payload-too-large");
        Assert.Contains("64 KB", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, justFits.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, largeEvents.StatusCode);
        await tooLargeEvents.AssertProblemAsync(413, "payload-too-large");
    }
}
