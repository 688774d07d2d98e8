using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AiSocial.Moderation.Tests;

/// <summary>A required check standing in for a model or service that is down, slow, or back.</summary>
public sealed class ControllableCheck : IPostCheck
{
    public enum Mode { Works, Throws, Hangs }

    public Mode Behaviour { get; set; } = Mode.Throws;

    public string Source => "test.controllable";


    public string SettingsKey => "TestControllable";

    public CheckReads Reads => CheckReads.Text;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromMilliseconds(300);

    public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        switch (Behaviour)
        {
            case Mode.Throws:
                throw new HttpRequestException("service unavailable");
            case Mode.Hangs:
                await Task.Delay(TimeSpan.FromMinutes(5), cancellationToken);
                break;
        }

        return [new Signal(Source, "7", "test_category", 0.25)];
    }
}

public sealed class PlatformWithControllableCheck : PlatformFixture
{
    public ControllableCheck Check { get; } = new();

    protected override void Configure(IDictionary<string, string?> settings) => settings["Moderation:MaxCheckAttempts"] = "3";

    protected override void Customize(HostApplicationBuilder builder) => builder.Services.AddSingleton<IPostCheck>(Check);
}

public sealed class UnavailableCheckTests(PlatformWithControllableCheck platform) : IClassFixture<PlatformWithControllableCheck>
{
    private PostScanner Scanner => platform.Get<PostScanner>();

    private Task MakeReadyAsync(Guid postId) =>
        platform.ExecuteAsync("update ingest.outbox set available_at = now() where subject_id = $1 and completed_at is null", postId);

    private Task<long> OpenTasksAsync(Guid postId) =>
        platform.ScalarAsync<long>("select count(*) from moderation.review_tasks where post_id = $1 and state = 'open'", postId);

    [Theory]
    [InlineData(ControllableCheck.Mode.Throws, "service unavailable")]
    [InlineData(ControllableCheck.Mode.Hangs, "timed out")]
    public async Task A_required_check_that_cannot_run_never_counts_as_safe(ControllableCheck.Mode mode, string reason)
    {
        platform.Check.Behaviour = mode;
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id);

        var report = await Scanner.ScanBatchAsync(default);

        Assert.Equal(1, report.Retried);
        Assert.Equal(0L, await OpenTasksAsync(post.Id));
        Assert.Equal(PostStatus.Pending, (await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status);
        Assert.Contains(reason, await platform.ScalarAsync<string>("select last_error from ingest.outbox where subject_id = $1", post.Id));
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.signals where post_id = $1", post.Id));
    }

    [Fact]
    public async Task After_the_last_attempt_the_post_goes_to_a_person_with_the_reason()
    {
        platform.Check.Behaviour = ControllableCheck.Mode.Throws;
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id);

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await MakeReadyAsync(post.Id);
            await Scanner.ScanBatchAsync(default);
        }

        Assert.Equal(1L, await OpenTasksAsync(post.Id));
        Assert.Equal("checks-unavailable: test.controllable general 80 guard:checks-unavailable", await platform.ScalarAsync<string>(
            "select reason || ' ' || queue || ' ' || priority || ' ' || rule_id from moderation.review_tasks where post_id = $1", post.Id));
        Assert.Equal(PostStatus.Pending, (await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status);
    }

    [Fact]
    public async Task When_the_check_comes_back_the_retried_post_is_scanned_with_its_signals()
    {
        platform.Check.Behaviour = ControllableCheck.Mode.Throws;
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id);
        await Scanner.ScanBatchAsync(default);

        platform.Check.Behaviour = ControllableCheck.Mode.Works;
        await MakeReadyAsync(post.Id);
        await Scanner.ScanBatchAsync(default);

        // Every required check ran and found nothing this time, so the policy publishes it.
        Assert.Equal(0L, await OpenTasksAsync(post.Id));
        Assert.Equal(PostStatus.Published, (await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status);
        Assert.Equal(0.25f, await platform.ScalarAsync<float>(
            "select score from moderation.signals where post_id = $1 and source = 'test.controllable' and model_version = '7'", post.Id));
    }
}
