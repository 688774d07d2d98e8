using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Feed.Apis;
using AiSocial.Ingest.Events;
using AiSocial.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AiSocial.Feed.Tests;

public sealed class EventsApiTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    private static object View(Guid postId) => new { type = "view", postId };

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, object events) =>
        client.PostAsJsonAsync("/api/v1/events", new { events });

    private async Task<long> EventsOfAsync(Guid accountId) =>
        await feed.ScalarAsync<long>("select count(*) from ingest.events where account_id = $1", accountId);

    [Fact]
    public async Task Acknowledged_events_are_in_the_table_as_sent()
    {
        var (_, id, token) = await feed.SignUpAsync();
        var post = Guid.NewGuid();
        var at = DateTimeOffset.UtcNow.AddMinutes(-3);

        var response = await SendAsync(feed.Client(token), new object[]
        {
            View(post),
            new { type = "dwell", postId = post, ms = 1500, at },
            new { type = "share", postId = post },
            new { type = "click", postId = post },
        });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(4, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
        var rows = new List<(short Type, int? Ms, DateTimeOffset At)>();
        await using (var command = feed.DataSource.CreateCommand("select type, ms, at from ingest.events where account_id = $1 and post_id = $2 order by id"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            command.Parameters.Add(new NpgsqlParameter { Value = post });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetInt16(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2)));
            }
        }

        Assert.Equal([1, 2, 3, 4], rows.Select(r => r.Type));
        Assert.Equal([null, 1500, null, null], rows.Select(r => r.Ms));
        Assert.Equal(at.ToUnixTimeMilliseconds(), rows[1].At.ToUnixTimeMilliseconds());
        Assert.InRange(rows[0].At, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1)); // 'at' left out: now
    }

    public static TheoryData<string, string, string> BadEvents => new()
    {
        { "an unknown type", """{"events":[{"type":"view","postId":"%P"},{"type":"like","postId":"%P"}]}""", "events[1].type" },
        { "no post id", """{"events":[{"type":"view"}]}""", "events[0].postId" },
        { "a post id that is not a UUID", """{"events":[{"type":"view","postId":"42"}]}""", "events[0].postId" },
        { "a dwell without ms", """{"events":[{"type":"view","postId":"%P"},{"type":"view","postId":"%P"},{"type":"dwell","postId":"%P"}]}""", "events[2].ms" },
        { "a dwell of more than an hour", """{"events":[{"type":"dwell","postId":"%P","ms":3600001}]}""", "events[0].ms" },
        { "a dwell of no time", """{"events":[{"type":"dwell","postId":"%P","ms":0}]}""", "events[0].ms" },
        { "ms on a view", """{"events":[{"type":"view","postId":"%P","ms":5}]}""", "events[0].ms" },
        { "a time eight days ago", """{"events":[{"type":"view","postId":"%P","at":"%OLD"}]}""", "events[0].at" },
        { "a time an hour ahead", """{"events":[{"type":"view","postId":"%P","at":"%AHEAD"}]}""", "events[0].at" },
        { "a null event", """{"events":[{"type":"view","postId":"%P"},null]}""", "events[1]" },
        { "no events", """{"events":[]}""", "events" },
        { "no events field", """{}""", "events" },
        { "501 events", "{\"events\":[" + string.Join(",", Enumerable.Repeat("""{"type":"view","postId":"%P"}""", 501)) + "]}", "events" },
    };

    [Theory]
    [MemberData(nameof(BadEvents))]
    public async Task A_batch_with_one_bad_event_is_refused_whole_naming_the_event_and_field(string what, string body, string field)
    {
        var (_, id, token) = await feed.SignUpAsync();
        var json = body.Replace("%P", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("%OLD", DateTimeOffset.UtcNow.AddDays(-8).ToString("O", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%AHEAD", DateTimeOffset.UtcNow.AddHours(1).ToString("O", CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var response = await feed.Client(token).PostAsync("/api/v1/events", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(400, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{what}: {problem}");
        Assert.Equal(0, await EventsOfAsync(id));
    }

    [Fact]
    public async Task Events_need_a_signed_in_caller()
    {
        var response = await SendAsync(feed.Client(), new[] { View(Guid.NewGuid()) });

        await response.AssertProblemAsync(401, "unauthorized");
    }

    [Fact]
    public async Task A_body_larger_than_the_events_limit_is_refused_with_413()
    {
        var (_, id, token) = await feed.SignUpAsync();
        var padding = new string(' ', (int)EventsApi.MaxBodyBytes);

        var response = await feed.Client(token).PostAsync("/api/v1/events",
            new StringContent($"{{\"events\":[{{\"type\":\"view\",\"postId\":\"{Guid.NewGuid()}\"}}]{padding}}}", System.Text.Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(413, "payload-too-large");
        Assert.Equal(0, await EventsOfAsync(id));
    }

    [Fact]
    public async Task A_full_batch_of_500_is_taken()
    {
        var (_, id, token) = await feed.SignUpAsync();
        var post = Guid.NewGuid();

        var response = await SendAsync(feed.Client(token), Enumerable.Range(0, EventRecorder.MaxEventsPerRequest)
            .Select(i => (object)new { type = "dwell", postId = post, ms = i + 1, at = DateTimeOffset.UtcNow.AddSeconds(-i) }).ToArray());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(500, await EventsOfAsync(id));
    }

    [Fact]
    public async Task Concurrent_requests_are_written_together_in_fewer_COPYs_and_all_acknowledged()
    {
        var people = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => feed.SignUpAsync()));
        var writer = feed.Get<EventWriter>();
        var before = writer.Commits;
        var post = Guid.NewGuid();

        // The writer's first COPY waits behind this lock, so every other request queues up behind it meanwhile.
        await using var connection = await feed.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("lock table ingest.events in share mode", connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        Task<HttpResponseMessage> Send((string Handle, Guid Id, string Token) person) => SendAsync(feed.Client(person.Token), Enumerable.Range(0, 50).Select(_ => View(post)).ToArray());

        // The first request alone, until its COPY is seen waiting on the lock (on a busy machine the writer may not have
        // taken it before the others arrive, and would then write all of them in one COPY); then the other nineteen.
        var sends = new List<Task<HttpResponseMessage>> { Send(people[0]) };
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (await feed.ScalarAsync<long>(
                   "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like 'copy ingest.events%'") == 0
               && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        sends.AddRange(people.Skip(1).Select(Send));
        while (writer.QueuedEvents < 20 * 50 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(20 * 50, writer.QueuedEvents);
        Assert.DoesNotContain(sends, s => s.IsCompleted); // nothing acknowledged before it is committed
        await transaction.CommitAsync();
        var responses = await Task.WhenAll(sends);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Equal(1000, await feed.ScalarAsync<long>("select count(*) from ingest.events where post_id = $1", post));
        Assert.Equal(2, writer.Commits - before); // the one that waited for the lock, then all the rest together
        Assert.Equal(2, await feed.ScalarAsync<long>("select count(distinct xmin::text) from ingest.events where post_id = $1", post));
    }

    [Fact]
    public async Task The_writer_keeps_partitions_from_yesterday_to_the_days_ahead_and_recreates_a_missing_one()
    {
        var partitions = feed.Get<EventPartitions>();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var expected = Enumerable.Range(-1, 9).Select(d => today.AddDays(d)).ToList();

        Assert.Subset(new HashSet<DateOnly>(await partitions.ListAsync(default)), new HashSet<DateOnly>(expected));

        await feed.ExecuteAsync($"drop table ingest.events_{today.AddDays(7):yyyyMMdd}");
        Assert.Equal(1, await partitions.EnsureAsync(default));
        Assert.Equal(0, await partitions.EnsureAsync(default));
        Assert.Contains(today.AddDays(7), await partitions.ListAsync(default));
    }

    [Fact]
    public async Task Events_acknowledged_by_one_host_are_read_back_after_it_stops_by_a_new_host_on_the_same_database()
    {
        var post = Guid.NewGuid();
        await using (var first = StartFeed())
        {
            var client = first.CreateClient();
            var signUp = await client.PostAsJsonAsync("/api/v1/accounts",
                new { handle = $"r_{Guid.NewGuid():N}"[..18], displayName = "Restarter", password = TestPasswords.Default, birthYear = 1990 });
            client.DefaultRequestHeaders.Authorization = new("Bearer", (await signUp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString());
            var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => SendAsync(client, Enumerable.Range(0, 100).Select(_ => View(post)).ToArray())));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        }

        await using var second = StartFeed();
        await using var command = second.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("select count(*) from ingest.events where post_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = post });
        Assert.Equal(500L, await command.ExecuteScalarAsync());
    }

    private WebApplicationFactory<Program> StartFeed()
    {
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment("Testing");
            host.UseSetting("ConnectionStrings:aisocial", feed.ConnectionString);
            host.UseSetting("Media:Root", feed.MediaRoot);
            host.UseSetting("Models:Directory", TestModels.Directory);
            host.UseSetting("Moderation:RunScheduledScans", "false");
        });
        factory.StartServer();
        return factory;
    }
}
