using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Protections;
using AiSocial.Moderation.Review;
using AiSocial.Testing;

namespace AiSocial.Moderation.Tests.Protections;

/// <summary>A minor-safety task's image: hidden from its reviewers until one asks, says why, and the request is audited.</summary>
public sealed class ImageRevealTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private ImageReveals Reveals => platform.Get<ImageReveals>();

    private async Task<(Post Post, ReviewItem Task)> MinorSafetyTaskAsync()
    {
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, prompt: $"a held post {Guid.NewGuid():N}");
        await HoldAsync(post, ImageReveals.HiddenQueue);
        var task = (await platform.Get<ReviewQueue>().ListOpenAsync(0, 100, ImageReveals.HiddenQueue, default)).Items.Single(i => i.Post.Id == post.Id);
        return (post, task);
    }

    // As the policy's guard holds a post: the task is opened directly, so what the active policy decides does not matter here.
    private Task HoldAsync(Post post, string queue) => platform.ExecuteAsync(
        """
        insert into moderation.review_tasks (id, post_id, reason, priority, policy_version, queue, rule_id)
        values ($1, $2, 'held by a test', 100, 'test', $3, 'guard:minor-safety')
        """, Guid.CreateVersion7(), post.Id, queue);

    private async Task<Actor> ModeratorAsync()
    {
        var moderator = await platform.CreateAccountAsync(Roles.Moderator);
        return new Actor(moderator.Id, moderator.Handle);
    }

    [Fact]
    public async Task The_image_is_served_only_to_the_reviewer_who_asked_and_the_request_is_audited_with_its_reason()
    {
        var (post, task) = await MinorSafetyTaskAsync();
        var (asking, other) = (await ModeratorAsync(), await ModeratorAsync());
        Assert.Equal(ImageReveals.HiddenQueue, task.Queue);
        Assert.False(await Reveals.MayViewAsync(asking.AccountId, post.Media.Sha256, default));

        var reveal = (await Reveals.RevealAsync(task.TaskId, asking, "  the caption and the score disagree  ", default)).Value;

        Assert.Equal(("the caption and the score disagree", post.Id), (reveal.Reason, reveal.PostId));
        Assert.True(await Reveals.MayViewAsync(asking.AccountId, post.Media.Sha256, default));
        Assert.True(await Reveals.HasRevealedAsync(task.TaskId, asking.AccountId!.Value, default));
        Assert.False(await Reveals.MayViewAsync(other.AccountId, post.Media.Sha256, default));
        Assert.Equal("the caption and the score disagree", await platform.ScalarAsync<string>(
            "select detail->>'reason' from ingest.audit_log where action = 'review.reveal-image' and subject_id = $1 and actor_id = $2",
            post.Id.ToString(), asking.AccountId!.Value));
    }

    [Fact]
    public async Task A_request_without_a_reason_or_from_someone_who_is_not_a_reviewer_is_refused_and_records_nothing()
    {
        var (post, task) = await MinorSafetyTaskAsync();
        var engineer = await platform.CreateAccountAsync(Roles.MlEngineer);
        var audits = await platform.ScalarAsync<long>("select count(*) from ingest.audit_log");

        var blank = await Reveals.RevealAsync(task.TaskId, await ModeratorAsync(), "   ", default).AssertRefusedAsync();
        var notReviewer = await Reveals.RevealAsync(task.TaskId, new Actor(engineer.Id, engineer.Handle), "curious", default).AssertRefusedAsync();
        var noTask = await Reveals.RevealAsync(Guid.NewGuid(), await ModeratorAsync(), "a reason", default).AssertRefusedAsync();

        Assert.Equal(["reason"], blank.Errors!.Keys);
        Assert.Equal(403, notReviewer.Problem.Status);
        Assert.Equal(404, noTask.Problem.Status);
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.image_reveals where task_id = $1", task.TaskId));
        Assert.Equal(audits, await platform.ScalarAsync<long>("select count(*) from ingest.audit_log"));
        Assert.False(await Reveals.MayViewAsync(engineer.Id, post.Media.Sha256, default));
    }

    [Fact]
    public async Task Images_of_tasks_in_other_queues_are_not_hidden()
    {
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, prompt: $"a general post {Guid.NewGuid():N}");
        await HoldAsync(post, ReviewQueue.GeneralQueue);

        Assert.True(await Reveals.MayViewAsync((await ModeratorAsync()).AccountId, post.Media.Sha256, default));
    }
}
