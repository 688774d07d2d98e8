using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using AiSocial.Problems;
using AiSocial.Testing;
using Npgsql;

namespace AiSocial.Moderation.Tests;

public sealed class ReviewQueueTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private ReviewQueue Queue => platform.Get<ReviewQueue>();

    private async Task<(Post Post, Guid TaskId)> QueuedPostAsync()
    {
        await platform.HoldEveryPostAsync();
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, prompt: $"prompt {Guid.NewGuid():N}");
        await platform.Get<PostScanner>().ScanUntilIdleAsync(default);

        return (post, await platform.ScalarAsync<Guid>("select id from moderation.review_tasks where post_id = $1", post.Id));
    }

    private async Task<Actor> ReviewerAsync(string role = Roles.Moderator)
    {
        var account = await platform.CreateAccountAsync(role);
        return new Actor(account.Id, account.Handle);
    }

    [Fact]
    public async Task Approving_publishes_the_post_and_records_label_task_and_audit_together()
    {
        var (post, taskId) = await QueuedPostAsync();
        var reviewer = await ReviewerAsync();

        var label = (await Queue.DecideAsync(taskId, reviewer, ReviewDecision.Approve, shownBlurred: true, note: "fine", default)).Value;

        var published = (await platform.Get<PostStore>().GetAsync(post.Id, default))!;
        Assert.Equal(PostStatus.Published, published.Status);
        Assert.NotNull(published.PublishedAt);
        Assert.Equal((LabelSource.Human, LabelDecision.Approve, reviewer.AccountId, (bool?)true), (label.Source, label.Decision, label.ReviewerId, label.ShownBlurred));
        Assert.Equal("decided", await platform.ScalarAsync<string>("select state from moderation.review_tasks where id = $1", taskId));
        var audit = Assert.Single(await platform.Get<AuditLog>().ForSubjectAsync("post", post.Id.ToString(), default));
        Assert.Equal(("review.approve", reviewer.AccountId), (audit.Action, audit.ActorId));
        Assert.Equal(label.Id, audit.Detail.GetProperty("labelId").GetInt64());
    }

    [Fact]
    public async Task Removing_takes_the_post_down_and_it_never_reaches_the_timeline()
    {
        var (post, taskId) = await QueuedPostAsync();

        await Queue.DecideAsync(taskId, await ReviewerAsync(Roles.Admin), ReviewDecision.Remove, shownBlurred: false, null, default);

        Assert.Equal(PostStatus.Removed, (await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status);
        Assert.Null(await platform.Get<PostStore>().GetVisibleAsync(post.Id, null, default));
    }

    [Fact]
    public async Task A_task_is_decided_once_even_when_two_reviewers_race()
    {
        var (post, taskId) = await QueuedPostAsync();
        var first = await ReviewerAsync();
        var second = await ReviewerAsync();

        var outcomes = await Task.WhenAll(
            Task.Run(() => TryDecideAsync(taskId, first, ReviewDecision.Approve)),
            Task.Run(() => TryDecideAsync(taskId, second, ReviewDecision.Remove)));

        Assert.Single(outcomes, o => o is null);
        Assert.Single(outcomes, o => o == ModerationProblems.AlreadyDecided.Code);
        Assert.Single(await platform.Get<LabelStore>().ForPostAsync(post.Id, default));
    }

    private async Task<string?> TryDecideAsync(Guid taskId, Actor reviewer, ReviewDecision decision) =>
        (await Queue.DecideAsync(taskId, reviewer, decision, true, null, default)).Refusal?.Problem.Code;

    [Theory]
    [InlineData(Roles.User)]
    [InlineData(Roles.MlEngineer)]
    public async Task Only_moderators_and_admins_decide(string role)
    {
        var (post, taskId) = await QueuedPostAsync();

        var error = await Queue.DecideAsync(taskId, new Actor(null, "someone"), ReviewDecision.Approve, true, null, default).AssertRefusedAsync();
        var asRole = await Queue.DecideAsync(taskId, await ReviewerAsync(role), ReviewDecision.Approve, true, null, default).AssertRefusedAsync();

        Assert.Equal(CommonProblems.Forbidden, error.Problem);
        Assert.Equal(CommonProblems.Forbidden, asRole.Problem);
        Assert.Equal(PostStatus.Pending, (await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status);
        Assert.Empty(await platform.Get<LabelStore>().ForPostAsync(post.Id, default));
    }

    [Fact]
    public async Task An_unknown_task_is_not_found()
    {
        var error = await Queue.DecideAsync(Guid.NewGuid(), await ReviewerAsync(), ReviewDecision.Approve, true, null, default).AssertRefusedAsync();

        Assert.Equal(CommonProblems.NotFound, error.Problem);
    }

    [Fact]
    public async Task Labels_cannot_be_rewritten()
    {
        var (post, taskId) = await QueuedPostAsync();
        await Queue.DecideAsync(taskId, await ReviewerAsync(), ReviewDecision.Approve, true, null, default);

        await Assert.ThrowsAsync<PostgresException>(() =>
            platform.ExecuteAsync("update moderation.labels set decision = 'remove' where post_id = $1", post.Id));
    }

    [Fact]
    public async Task The_queue_pages_with_the_highest_priority_first_and_shows_each_posts_signals()
    {
        var queued = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            queued.Add((await QueuedPostAsync()).TaskId);
        }

        await platform.ExecuteAsync("update moderation.review_tasks set priority = 90 where id = $1", queued[2]);

        var first = await Queue.ListOpenAsync(0, 1, default);
        var total = await Queue.CountOpenAsync(default);
        Assert.Equal(queued[2], Assert.Single(first.Items).TaskId);
        Assert.Equal(total, first.Total);
        Assert.NotEmpty(first.Items[0].Signals);
        var everything = await Queue.ListOpenAsync(0, 100, default);
        Assert.Equal(total, everything.Items.Count);
        Assert.Equal(everything.Items.Select(i => i.TaskId).Distinct().Count(), everything.Items.Count);
    }
}
