using System.Text;
using System.Text.Json;
using AiSocial.Testing;

namespace AiSocial.Feed.Tests;

/// <summary>Requests Kestrel refuses before any middleware runs still get a problem body, on the real server.</summary>
public sealed class RejectedRequestTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private async Task<(int Status, string Head, string Body)> SendRawAsync(byte[] request)
    {
        var response = await RawHttp.SendAsync(feed.Address, request);
        return (response.Status, response.Head, response.Text);
    }

    public static TheoryData<string, byte[], int> Malformed => new()
    {
        { "a NUL byte in the path", Encoding.ASCII.GetBytes("GET /api/v1/\0 HTTP/1.1\r\nHost: localhost\r\n\r\n"), 400 },
        { "a Content-Length that is not a number", Encoding.ASCII.GetBytes("POST /api/v1/accounts HTTP/1.1\r\nHost: localhost\r\nContent-Length: ten\r\n\r\n"), 400 },
        { "two Content-Lengths", Encoding.ASCII.GetBytes("POST /api/v1/accounts HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"), 400 },
        { "a 20 KB URL", Encoding.ASCII.GetBytes($"GET /api/v1/timelines/public?cursor={new string('a', 20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n"), 414 },
        { "40 KB of headers", Encoding.ASCII.GetBytes($"GET /api/v1/timelines/public HTTP/1.1\r\nHost: localhost\r\nX-Junk: {new string('a', 40_000)}\r\n\r\n"), 431 },
        { "a header line without a colon", Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\nnot a header\r\n\r\n"), 400 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_request_the_server_refuses_before_routing_gets_a_problem_that_says_why(string what, byte[] request, int status)
    {
        var (answered, head, body) = await SendRawAsync(request);

        Assert.True(status == answered, $"{what}: {head}");
        Assert.Contains("Content-Type: application/problem+json", head);
        Assert.DoesNotContain("Server:", head);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), what);
        Assert.StartsWith("urn:aisocial:problem:", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_Host_this_server_does_not_answer_for_is_refused_with_a_problem()
    {
        var (status, head, body) = await SendRawAsync(Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"));

        Assert.Equal(400, status);
        Assert.Contains("Content-Type: application/problem+json", head);
        Assert.Equal("malformed-request", JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Answers_of_the_application_itself_go_through_unchanged()
    {
        var (status, head, body) = await SendRawAsync(Encoding.ASCII.GetBytes("GET /api/v1/posts/00000000-0000-0000-0000-000000000000 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));

        Assert.Equal(404, status);
        Assert.Contains("not-found", body);
        Assert.DoesNotContain("Server:", head);
    }
}
