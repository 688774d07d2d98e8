using AiSocial.Testing;
using Xunit.Abstractions;

namespace AiSocial.Feed.Tests;

/// <summary>
/// The regression corpus (<see cref="HostileRequests"/>) against Feed on its real server: each case refused with the
/// status it should get and a problem that says why, and nothing stored.
/// </summary>
public sealed class RegressionCorpusTests(FeedFixture feed, ITestOutputHelper output) : IClassFixture<FeedFixture>
{
    public static IEnumerable<object[]> Cases => HostileRequests.Names;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_request_is_refused_with_a_problem_and_changes_nothing(string name)
    {
        var hostile = HostileRequests.Named(name);
        var (_, _, token) = await feed.SignUpAsync();
        var request = hostile.Build(new HostileContext(token));
        var before = await feed.EverythingStoredAsync();

        var response = await RawHttp.SendAsync(feed.Address, request);

        output.WriteLine($"{response.Status} {response.Text}");
        HostileAnswers.AssertRefused(response, hostile.FeedStatus, name);
        Assert.Equal(before, await feed.EverythingStoredAsync());
    }
}
