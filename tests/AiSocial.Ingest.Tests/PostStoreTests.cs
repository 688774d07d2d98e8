using AiSocial.Ingest.Posts;
using AiSocial.Ingest.Timelines;
using AiSocial.Testing;

namespace AiSocial.Ingest.Tests;

public sealed class PostStoreTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private PostStore Posts => platform.Get<PostStore>();

    private async Task PublishAsync(Guid postId)
    {
        await using var connection = await platform.DataSource.OpenConnectionAsync();
        Assert.True(await PostStore.TransitionAsync(connection, postId, PostStatus.Published, [PostStatus.Pending], default));
    }

    [Fact]
    public async Task A_pending_post_is_visible_to_its_author_only()
    {
        var author = await platform.CreateAccountAsync();
        var other = await platform.CreateAccountAsync();
        var post = await platform.SubmitPostAsync(author.Id);

        Assert.NotNull(await Posts.GetVisibleAsync(post.Id, author.Id, default));
        Assert.Null(await Posts.GetVisibleAsync(post.Id, other.Id, default));
        Assert.Null(await Posts.GetVisibleAsync(post.Id, null, default));

        await PublishAsync(post.Id);
        Assert.NotNull(await Posts.GetVisibleAsync(post.Id, null, default));
    }

    [Fact]
    public async Task A_transition_happens_only_from_the_states_it_names()
    {
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id);
        await using var connection = await platform.DataSource.OpenConnectionAsync();

        Assert.True(await PostStore.TransitionAsync(connection, post.Id, PostStatus.Rejected, [PostStatus.Pending], default));
        Assert.False(await PostStore.TransitionAsync(connection, post.Id, PostStatus.Published, [PostStatus.Pending], default));
        Assert.Equal(PostStatus.Rejected, (await Posts.GetAsync(post.Id, default))!.Status);
    }
}

public sealed class TimelineCursorTests
{
    [Fact]
    public void A_cursor_round_trips_to_the_microsecond()
    {
        var cursor = TimelineCursor.After(TimelineKind.Home, new DateTimeOffset(2026, 11, 24, 12, 30, 45, TimeSpan.Zero).AddTicks(1234560), Guid.CreateVersion7());
        var trending = TimelineCursor.InSnapshot(42, 77);

        Assert.Equal(cursor, TimelineCursor.Decode(cursor.Encode(), TimelineKind.Home).Value);
        Assert.Equal(trending, TimelineCursor.Decode(trending.Encode(), TimelineKind.Trending).Value);
    }

    [Fact]
    public void A_cursor_of_one_timeline_is_refused_by_another()
    {
        var cursor = TimelineCursor.After(TimelineKind.Public, DateTimeOffset.UtcNow, Guid.CreateVersion7()).Encode();

        Assert.Equal(IngestProblems.InvalidCursor, TimelineCursor.Decode(cursor, TimelineKind.Tag).AssertRefused().Problem);
    }

    [Theory]
    [InlineData("zzz")]
    [InlineData("!!!!")]
    [InlineData("AQ")]
    [InlineData("AgjfSjmZTy-aAaIOBPQfcD2Npjdyd4pKLg")]
    [InlineData("this cursor is far too long to be one of ours at all, not even close to it")]
    public void Cursors_this_server_did_not_issue_are_refused(string cursor)
    {
        var error = TimelineCursor.Decode(cursor, TimelineKind.Public).AssertRefused();
        Assert.Equal(IngestProblems.InvalidCursor, error.Problem);
    }
}
