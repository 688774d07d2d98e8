using AiSocial.Ingest.Posts;
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
    public async Task The_public_timeline_pages_through_published_posts_newest_first_without_gaps_or_repeats()
    {
        var author = await platform.CreateAccountAsync();
        var published = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            var post = await platform.SubmitPostAsync(author.Id);
            await PublishAsync(post.Id);
            published.Add(post.Id);
        }

        var pending = await platform.SubmitPostAsync(author.Id);

        var seen = new List<Post>();
        string? cursor = null;
        do
        {
            var page = await Posts.PublicTimelineAsync(TimelineCursor.Decode(cursor).Value, 3, default);
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var mine = seen.Where(p => p.Author.Id == author.Id).ToList();
        Assert.Equal(published.AsEnumerable().Reverse(), mine.Select(p => p.Id));
        Assert.DoesNotContain(seen, p => p.Id == pending.Id);
        Assert.All(seen, p => Assert.Equal(PostStatus.Published, p.Status));
        Assert.Equal(seen.Count, seen.Select(p => p.Id).Distinct().Count());
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
        var cursor = new TimelineCursor(new DateTimeOffset(2026, 11, 24, 12, 30, 45, TimeSpan.Zero).AddTicks(1234560), Guid.CreateVersion7());

        Assert.Equal(cursor, TimelineCursor.Decode(cursor.Encode()));
    }

    [Theory]
    [InlineData("zzz")]
    [InlineData("!!!!")]
    [InlineData("AQ")]
    [InlineData("AgjfSjmZTy-aAaIOBPQfcD2Npjdyd4pKLg")]
    [InlineData("this cursor is far too long to be one of ours at all")]
    public void Cursors_this_server_did_not_issue_are_refused(string cursor)
    {
        var error = TimelineCursor.Decode(cursor).AssertRefused();
        Assert.Equal(IngestProblems.InvalidCursor, error.Problem);
    }
}
