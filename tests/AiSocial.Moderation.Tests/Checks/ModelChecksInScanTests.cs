using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;

namespace AiSocial.Moderation.Tests.Checks;

/// <summary>The model checks as the scanner runs them on submitted posts, with the models `./aisocial models` prepared.</summary>
public sealed class ModelChecksInScanTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    [Fact]
    public async Task A_scanned_post_carries_nsfw_probabilities_and_the_text_read_from_its_image()
    {
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, TestImages.WithText("WIN A FREE PHONE TODAY"));

        await platform.Get<PostScanner>().ScanUntilIdleAsync(default);

        var signals = (await platform.Get<SignalStore>().ForPostsAsync([post.Id], default))[post.Id].ToList();
        var nsfw = signals.Where(s => s.Source == NsfwCheck.SourceName).ToList();
        Assert.Equal(NsfwCheck.Categories.Order(), nsfw.Select(s => s.Category).Order());
        Assert.Equal(1.0, nsfw.Sum(s => s.Score), 3);
        Assert.All(nsfw, s => Assert.Equal(TestModels.Manifest.Get("nsfw-mobilenet-v2").Version, s.ModelVersion));
        var ocr = Assert.Single(signals, s => s.Source == OcrCheck.SourceName);
        Assert.Equal((OcrCheck.TextFoundCategory, 1.0), (ocr.Category, ocr.Score));
        Assert.Equal("WIN A FREE PHONE TODAY", ocr.Detail!.Value.GetProperty("text").GetString());
        Assert.Equal(PostStatus.Published, (await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status);
    }
}

/// <summary>A platform whose models directory is empty, as on a node where `./aisocial models` has not run.</summary>
public sealed class PlatformWithoutModels : PlatformFixture
{
    protected override void Configure(IDictionary<string, string?> settings) => settings["Models:Directory"] = Path.Combine(MediaRoot, "no-models");
}

public sealed class MissingModelsTests(PlatformWithoutModels platform) : IClassFixture<PlatformWithoutModels>
{
    [Fact]
    public async Task Without_the_models_a_post_is_not_decided_and_the_reason_names_the_missing_models()
    {
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id);

        var report = await platform.Get<PostScanner>().ScanBatchAsync(default);

        Assert.Equal(1, report.Retried);
        Assert.Equal(PostStatus.Pending, (await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status);
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.review_tasks where post_id = $1", post.Id));
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.signals where post_id = $1", post.Id));
        var reason = await platform.ScalarAsync<string>("select last_error from ingest.outbox where subject_id = $1", post.Id);
        Assert.Contains($"{NsfwCheck.SourceName}: ModelUnavailableException", reason);
        Assert.Contains($"{OcrCheck.SourceName}: ModelUnavailableException", reason);
        Assert.Contains("./aisocial models", reason);
    }
}

public sealed class MissingMediaTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    [Fact]
    public async Task A_post_whose_image_file_is_gone_waits_with_the_reason_and_the_batch_goes_on()
    {
        var author = (await platform.CreateAccountAsync()).Id;
        var lost = await platform.SubmitPostAsync(author, TestImages.Png(seed: 901));
        var fine = await platform.SubmitPostAsync(author, TestImages.Png(seed: 902));
        File.Delete(platform.Get<Ingest.Media.MediaStore>().PathFor(lost.Media.Sha256));

        var report = await platform.Get<PostScanner>().ScanBatchAsync(default);

        Assert.Equal((2, 1, 1), (report.Leased, report.Retried, report.Published));
        Assert.Contains("media file cannot be read", await platform.ScalarAsync<string>("select last_error from ingest.outbox where subject_id = $1", lost.Id));
        Assert.Equal(0L, await platform.ScalarAsync<long>("select count(*) from moderation.review_tasks where post_id = $1", lost.Id));
        Assert.Equal(PostStatus.Published, (await platform.Get<PostStore>().GetAsync(fine.Id, default))!.Status);
    }
}
