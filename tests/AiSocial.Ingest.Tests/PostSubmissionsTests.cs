using AiSocial.Ingest.Media;
using AiSocial.Ingest.Outbox;
using AiSocial.Ingest.Posts;
using AiSocial.Problems;
using AiSocial.Testing;

namespace AiSocial.Ingest.Tests;

public sealed class PostSubmissionsTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private PostSubmissions Submissions => platform.Get<PostSubmissions>();

    private Task<Outcome<SubmittedPost>> SubmitAsync(Guid author, string key, byte[] image, string prompt = "a red fox", string? caption = null) =>
        Submissions.SubmitAsync(author, key, new PostDraft(prompt, caption), new MemoryStream(image), default);

    private static string Sha256Of(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    [Fact]
    public async Task Stores_the_post_pending_with_its_image_by_hash_and_an_outbox_message()
    {
        var author = await platform.CreateAccountAsync();
        var image = TestImages.Png(90, 60, seed: 11);

        var submitted = (await SubmitAsync(author.Id, "k-1", image, "  a red fox  ", "my fox")).Value;

        var post = submitted.Post;
        Assert.False(submitted.Replayed);
        Assert.Equal(PostStatus.Pending, post.Status);
        Assert.Equal(("a red fox", "my fox"), (post.Prompt, post.Caption));
        var stored = await File.ReadAllBytesAsync(platform.Get<MediaStore>().PathFor(post.Media.Sha256));
        Assert.Equal(new PostMedia(Sha256Of(stored), "image/png", 90, 60), post.Media with { Placeholder = null });
        Assert.NotNull(post.Media.Placeholder);
        Assert.Equal(Sha256Of(image), post.UploadSha256);
        Assert.Equal(0, TestImages.MaxChannelDifference(image, stored));
        Assert.Equal(OutboxTopics.PostSubmitted, await platform.ScalarAsync<string>(
            "select topic from ingest.outbox where subject_id = $1 and completed_at is null", post.Id));
    }

    [Fact]
    public async Task The_same_key_and_request_return_the_same_post_even_when_sent_at_once()
    {
        var author = await platform.CreateAccountAsync();
        var image = TestImages.Png(seed: 12);

        var results = (await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => SubmitAsync(author.Id, "same-key", image)))))
            .Select(r => r.Value).ToArray();

        Assert.Single(results.Select(r => r.Post.Id).Distinct());
        Assert.Single(results, r => !r.Replayed);
        Assert.Equal(1L, await platform.ScalarAsync<long>("select count(*) from ingest.posts where author_id = $1", author.Id));
        Assert.Equal(1L, await platform.ScalarAsync<long>("select count(*) from ingest.outbox where subject_id = $1", results[0].Post.Id));
    }

    [Fact]
    public async Task The_same_key_with_a_different_request_is_refused_and_stores_nothing()
    {
        var author = await platform.CreateAccountAsync();
        await SubmitAsync(author.Id, "reused", TestImages.Png(seed: 13));
        var before = await platform.StoredAsync();

        var differentImage = await SubmitAsync(author.Id, "reused", TestImages.Png(seed: 14)).AssertRefusedAsync();
        var differentPrompt = await SubmitAsync(author.Id, "reused", TestImages.Png(seed: 13), "other").AssertRefusedAsync();

        Assert.Equal(IngestProblems.IdempotencyKeyReused, differentImage.Problem);
        Assert.Equal(IngestProblems.IdempotencyKeyReused, differentPrompt.Problem);
        Assert.Equal(before, await platform.StoredAsync());
    }

    [Fact]
    public async Task One_key_sent_at_once_with_different_images_stores_one_post_and_one_file()
    {
        var author = await platform.CreateAccountAsync();
        var before = await platform.StoredAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Task.Run(() => SubmitAsync(author.Id, "raced-key", TestImages.Png(seed: 100 + i)))));

        var accepted = Assert.Single(results, r => r.Refusal is null);
        Assert.All(results.Where(r => r.Refusal is not null), r => Assert.Equal(IngestProblems.IdempotencyKeyReused, r.Refusal!.Problem));
        Assert.Equal((before.Posts + 1, before.Media + 1, before.Outbox + 1, before.Files + 1), await platform.StoredAsync());
        Assert.True(File.Exists(platform.Get<MediaStore>().PathFor(accepted.Value.Post.Media.Sha256)));
    }

    [Fact]
    public async Task A_submission_the_database_turns_down_leaves_no_file()
    {
        var before = await platform.StoredAsync();

        // No such author: the insert fails on its foreign key after the image was checked and written aside.
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => SubmitAsync(Guid.NewGuid(), "orphan", TestImages.Png(seed: 18)));

        Assert.Equal(before, await platform.StoredAsync());
    }

    [Fact]
    public async Task Keys_belong_to_their_author()
    {
        var first = await platform.CreateAccountAsync();
        var second = await platform.CreateAccountAsync();

        var a = (await SubmitAsync(first.Id, "shared-key", TestImages.Png(seed: 15))).Value;
        var b = (await SubmitAsync(second.Id, "shared-key", TestImages.Png(seed: 16))).Value;

        Assert.NotEqual(a.Post.Id, b.Post.Id);
        Assert.False(b.Replayed);
    }

    [Fact]
    public async Task One_image_posted_twice_is_stored_once()
    {
        var image = TestImages.Png(seed: 17);
        var before = await platform.StoredAsync();

        await SubmitAsync((await platform.CreateAccountAsync()).Id, "x", image);
        await SubmitAsync((await platform.CreateAccountAsync()).Id, "y", image);

        var after = await platform.StoredAsync();
        Assert.Equal((before.Posts + 2, before.Media + 1, before.Outbox + 2, before.Files + 1), after);
    }

    // Built inside the test: xUnit serialises theory data while discovering tests.
    private static readonly Dictionary<string, (Func<byte[]> Image, string? Prompt, string? Key)> BadRequests = new()
    {
        ["text file"] = (() => TestImages.Text, "prompt", "key"),
        ["truncated png"] = (() => TestImages.Truncated(TestImages.Png(200, 200)), "prompt", "key"),
        ["30000 px header, no pixels"] = (() => TestImages.PngClaiming(30000, 30000), "prompt", "key"),
        ["30000 px header on real pixels"] = (() => TestImages.WithPngSize(TestImages.Png(), 30000, 30000), "prompt", "key"),
        ["missing prompt"] = (() => TestImages.Png(), null, "key"),
        ["blank prompt"] = (() => TestImages.Png(), "   ", "key"),
        ["100 KB prompt"] = (() => TestImages.Png(), new string('p', 100_000), "key"),
        ["missing key"] = (() => TestImages.Png(), "prompt", null),
        ["key with control characters"] = (() => TestImages.Png(), "prompt", "bad\nkey"),
    };

    [Theory]
    [InlineData("text file", "image-unsupported")]
    [InlineData("truncated png", "image-corrupt")]
    [InlineData("30000 px header, no pixels", "image-dimensions-too-large")]
    [InlineData("30000 px header on real pixels", "image-dimensions-too-large")]
    [InlineData("missing prompt", "validation-failed")]
    [InlineData("blank prompt", "validation-failed")]
    [InlineData("100 KB prompt", "validation-failed")]
    [InlineData("missing key", "idempotency-key-missing")]
    [InlineData("key with control characters", "validation-failed")]
    public async Task Bad_input_is_refused_with_a_clear_problem_and_changes_nothing(string what, string code)
    {
        var (image, prompt, key) = BadRequests[what];
        var author = await platform.CreateAccountAsync();
        var before = await platform.StoredAsync();

        var error = await Submissions.SubmitAsync(author.Id, key, new PostDraft(prompt, null), new MemoryStream(image()), default).AssertRefusedAsync();

        Assert.True(code == error.Problem.Code, $"{what}: expected {code}, got {error.Problem.Code} ({error.Detail})");
        Assert.Equal(before, await platform.StoredAsync());
    }
}
