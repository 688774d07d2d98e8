using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Creators;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Policy;
using AiSocial.Moderation.Scanning;
using AiSocial.SafetyModels.Pdq;
using AiSocial.Testing;
using SkiaSharp;

namespace AiSocial.Moderation.Tests.Checks;

/// <summary>Creators' verified opt-outs at scan: the creator-rights signal, the matches it records and what the shipped policy does with it.</summary>
public sealed class CreatorRightsCheckTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private CreatorOptOuts OptOuts => platform.Get<CreatorOptOuts>();

    private async Task<(Account Creator, CreatorOptOut OptOut)> RegisterAsync(string kind, string value, bool verify = true)
    {
        var creator = await platform.CreateAccountAsync(Roles.Creator);
        var optOut = (await OptOuts.RegisterAsync(new Actor(creator.Id, creator.Handle), creator.Id, new OptOutDraft(kind, value, null), default)).Value;
        return (creator, verify ? await VerifyAsync(optOut) : optOut);
    }

    private async Task<CreatorOptOut> VerifyAsync(CreatorOptOut optOut, bool verified = true)
    {
        var moderator = await platform.CreateAccountAsync(Roles.Moderator);
        return (await OptOuts.ReviewAsync(new Actor(moderator.Id, moderator.Handle), optOut.Id, verified, default)).Value;
    }

    /// <summary>Posts the image with its texts as <paramref name="authorId"/> (a new account when null) and scans everything waiting.</summary>
    private async Task<(Post Post, Signal Name, Signal Style, Signal Work)> PostAndScanAsync(byte[]? image = null, string prompt = "a harbour at dawn",
        string? caption = null, Guid? authorId = null)
    {
        await using var content = new MemoryStream(image ?? TestImages.Unique());
        var post = (await platform.Get<PostSubmissions>().SubmitAsync(authorId ?? (await platform.CreateAccountAsync()).Id, Guid.NewGuid().ToString(),
            new PostDraft(prompt, caption), content, default)).Value.Post;
        await platform.Get<PostScanner>().ScanUntilIdleAsync(default);
        var signals = (await platform.Get<SignalStore>().ForPostsAsync([post.Id], default))[post.Id].Where(s => s.Source == CreatorRightsCheck.SourceName).ToList();
        return ((await platform.Get<PostStore>().GetAsync(post.Id, default))!,
            Assert.Single(signals, s => s.Category == CreatorRightsCheck.NameCategory),
            Assert.Single(signals, s => s.Category == CreatorRightsCheck.StyleCategory),
            Assert.Single(signals, s => s.Category == CreatorRightsCheck.WorkCategory));
    }

    private Task<string> RuleOfAsync(Guid postId) =>
        platform.ScalarAsync<string>("select rule_id from moderation.decisions where post_id = $1 and mode = 'live' order by id desc limit 1", postId);

    [Fact]
    public async Task A_verified_name_in_a_caption_raises_the_signal_holds_the_post_for_review_and_records_the_match()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (_, optOut) = await RegisterAsync(OptOutKinds.Name, $"Ségolène Dupont{suffix}");

        var (post, name, style, work) = await PostAndScanAsync(caption: $"after SEGOLENE-dupont{suffix}'s harbour series");

        Assert.Equal((1.0, 0.0, 0.0), (name.Score, style.Score, work.Score));
        var match = Assert.Single(name.Detail!.Value.GetProperty("matches").EnumerateArray());
        Assert.Equal((optOut.Id, "caption", "name"), (match.GetProperty("optOutId").GetGuid(), match.GetProperty("field").GetString(),
            match.GetProperty("kind").GetString()));
        Assert.Equal(PostStatus.Pending, post.Status);
        Assert.Equal("creator-rights", await RuleOfAsync(post.Id));
        Assert.Equal(1L, await platform.ScalarAsync<long>("select count(*) from moderation.review_tasks where post_id = $1 and state = 'open'", post.Id));
        var recorded = Assert.Single(await OptOuts.MatchesAsync(optOut.Id, default));
        Assert.Equal((post.Id, "caption", "scan"), (recorded.PostId, recorded.Field, recorded.Stage));
    }

    [Fact]
    public async Task A_verified_style_in_the_prompt_raises_the_style_category()
    {
        var phrase = $"neon-noir{Guid.NewGuid():N}"[..18];
        await RegisterAsync(OptOutKinds.Style, phrase);

        var (post, name, style, _) = await PostAndScanAsync(prompt: $"a city street, {phrase.Replace('-', ' ').ToUpperInvariant()}, rain");

        Assert.Equal((0.0, 1.0), (name.Score, style.Score));
        Assert.Equal("creator-rights", await RuleOfAsync(post.Id));
    }

    [Fact]
    public async Task A_rotated_copy_of_a_verified_work_is_found_through_its_dihedral_hashes()
    {
        var original = PdqTestImages.Bytes("reg-test-input_labelme-subset_q0746.jpg");
        var creator = await platform.CreateAccountAsync(Roles.Creator);
        await using (var content = new MemoryStream(original))
        {
            var work = (await OptOuts.RegisterWorkAsync(new Actor(creator.Id, creator.Handle), creator.Id, "harbour at dawn", null, content, default)).Value;
            await VerifyAsync(work);
        }

        var rotated = Rotated(original);
        // As it is, the copy's hash is far from the work's: only one of the work's dihedral hashes is near it.
        Assert.True(PdqHasher.Compute(rotated).Hash.DistanceTo(PdqHasher.Compute(original).Hash) > PdqIndex.DefaultMaxDistance);

        var (post, name, _, work2) = await PostAndScanAsync(rotated);

        Assert.Equal((0.0, 1.0), (name.Score, work2.Score));
        var match = Assert.Single(work2.Detail!.Value.GetProperty("matches").EnumerateArray());
        Assert.True(match.GetProperty("distance").GetInt32() <= CreatorOptOuts.MaxWorkDistance);
        Assert.Equal("image", match.GetProperty("field").GetString());
        Assert.Equal("creator-rights", await RuleOfAsync(post.Id));

        // The creator's own post of their own work is theirs to make.
        var (own, _, _, ownWork) = await PostAndScanAsync(rotated, authorId: creator.Id);
        Assert.Equal(0.0, ownWork.Score);
        Assert.NotEqual("creator-rights", await RuleOfAsync(own.Id));
    }

    [Fact]
    public async Task Pending_rejected_and_removed_opt_outs_are_not_enforced()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (_, pending) = await RegisterAsync(OptOutKinds.Name, $"Pending Painter{suffix}", verify: false);
        var (_, rejected) = await RegisterAsync(OptOutKinds.Name, $"Rejected Painter{suffix}", verify: false);
        await VerifyAsync(rejected, verified: false);
        var (creator, removed) = await RegisterAsync(OptOutKinds.Alias, $"Removed Painter{suffix}");
        _ = (await OptOuts.RemoveOwnAsync(new Actor(creator.Id, creator.Handle), creator.Id, removed.Id, default)).Value;

        var (post, name, _, _) = await PostAndScanAsync(
            prompt: $"pending painter{suffix} meets rejected painter{suffix} and removed painter{suffix}");

        Assert.Equal(0.0, name.Score);
        Assert.Equal(PostStatus.Published, post.Status);
        Assert.Empty(await OptOuts.MatchesAsync(pending.Id, default));
    }

    [Fact]
    public async Task The_shipped_policy_holds_a_creator_rights_match_before_the_reported_and_clean_rules()
    {
        var (active, _) = await platform.Get<PolicyStore>().LiveAsync();

        Assert.Equal(1, active.Version);
        var ids = active.Document.Rules.Select(r => r.Id).ToList();
        Assert.Equal(ids.IndexOf("reported") - 1, ids.IndexOf("creator-rights"));
        Assert.Equal(1.0, active.Document.ThresholdFor(CreatorRightsCheck.SourceName, CreatorRightsCheck.WorkCategory));
        Assert.Equal(PolicyAction.Hold, active.Document.Rules.Single(r => r.Id == "creator-rights").Then.Action);
    }

    /// <summary>The image turned a quarter clockwise and saved as a JPEG.</summary>
    private static byte[] Rotated(byte[] image)
    {
        using var source = PdqTestImages.Decode(image);
        using var target = new SKBitmap(new SKImageInfo(source.Height, source.Width, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(target))
        {
            canvas.Translate(source.Height, 0);
            canvas.RotateDegrees(90);
            using var drawn = SKImage.FromBitmap(source);
            canvas.DrawImage(drawn, 0, 0, SKSamplingOptions.Default, null);
        }

        using var encoded = target.Encode(SKEncodedImageFormat.Jpeg, 85);
        return encoded.ToArray();
    }
}
