using System.Security.Cryptography;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.HashBanks;
using AiSocial.Moderation.Scanning;
using AiSocial.SafetyModels.Pdq;
using AiSocial.Testing;
using SkiaSharp;

namespace AiSocial.Moderation.Tests.Checks;

public sealed class PdqHashBankTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private static readonly Actor Staff = Actor.System("test");

    private HashBank Banks => platform.Get<HashBank>();

    /// <summary>Submits the image as a new post, scans everything waiting, and returns the post's state and PDQ signal.</summary>
    private async Task<(PostStatus Status, Signal Pdq, Signal Sha256)> PostAndScanAsync(byte[] image)
    {
        var post = await platform.SubmitPostAsync((await platform.CreateAccountAsync()).Id, image);
        await platform.Get<PostScanner>().ScanUntilIdleAsync(default);
        var signals = (await platform.Get<SignalStore>().ForPostsAsync([post.Id], default))[post.Id].ToList();
        return ((await platform.Get<PostStore>().GetAsync(post.Id, default))!.Status,
            Assert.Single(signals, s => s.Source == PdqHashBankCheck.SourceName),
            Assert.Single(signals, s => s.Source == HashBankCheck.SourceName));
    }

    private static byte[] FlatPng(SKColor colour)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(200, 160, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(colour);
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }

    [Fact]
    public async Task A_resized_re_encoded_copy_of_a_banked_image_is_rejected_and_its_signal_gives_the_distance()
    {
        var original = PdqTestImages.Bytes("reg-test-input_labelme-subset_q0291.jpg");
        var banked = PdqHasher.Compute(original).Hash;
        await Banks.AddPdqAsync(Staff, "pdq-test", banked, "known bad photo", default);
        var copy = PdqTestImages.ResizedJpeg(original, 0.75, 70);
        var copyHash = PdqHasher.Compute(copy).Hash;
        Assert.InRange(copyHash.DistanceTo(banked), 1, PdqIndex.DefaultMaxDistance);
        Assert.NotEqual(SHA256.HashData(original), SHA256.HashData(copy));

        var (status, pdq, sha256) = await PostAndScanAsync(copy);

        Assert.Equal(PostStatus.Rejected, status);
        Assert.Equal((HashBankCheck.MatchCategory, PdqHashBankCheck.ModelVersion, 1.0), (pdq.Category, pdq.ModelVersion, pdq.Score));
        Assert.Equal(0.0, sha256.Score);
        var detail = pdq.Detail!.Value;
        Assert.Equal(copyHash.ToHex(), detail.GetProperty("pdq").GetString());
        var match = Assert.Single(detail.GetProperty("matches").EnumerateArray());
        Assert.Equal(("pdq-test", "known bad photo", copyHash.DistanceTo(banked)),
            (match.GetProperty("bank").GetString(), match.GetProperty("reason").GetString(), match.GetProperty("distance").GetInt32()));
    }

    [Fact]
    public async Task An_unrelated_photo_is_not_matched_and_not_rejected()
    {
        await Banks.AddPdqAsync(Staff, "pdq-test", PdqHasher.Compute(PdqTestImages.Bytes("reg-test-input_labelme-subset_q2821.jpg")).Hash,
            "known bad photo", default);

        var (status, pdq, _) = await PostAndScanAsync(PdqTestImages.Bytes("reg-test-input_labelme-subset_q1050.jpg"));

        Assert.NotEqual(PostStatus.Rejected, status);
        Assert.Equal(0.0, pdq.Score);
        Assert.Empty(pdq.Detail!.Value.GetProperty("matches").EnumerateArray());
        Assert.True(pdq.Detail!.Value.GetProperty("quality").GetInt32() >= PdqResult.MinimumUsableQuality);
    }

    [Fact]
    public async Task An_image_too_flat_for_PDQ_is_never_matched_even_when_banked()
    {
        var flat = FlatPng(new SKColor(30, 160, 90));
        var result = PdqHasher.Compute(flat);
        Assert.False(result.IsUsable);
        await Banks.AddPdqAsync(Staff, "pdq-test", result.Hash, "flat image", default);

        var (status, pdq, _) = await PostAndScanAsync(flat);

        Assert.NotEqual(PostStatus.Rejected, status);
        Assert.Equal(0.0, pdq.Score);
        Assert.Equal(result.Quality, pdq.Detail!.Value.GetProperty("quality").GetInt32());
        Assert.Contains("quality", pdq.Detail!.Value.GetProperty("note").GetString());
    }

    [Fact]
    public async Task Entries_added_or_removed_after_the_index_was_loaded_count_from_the_next_scan()
    {
        var original = PdqTestImages.Bytes("misc-images_c.png");
        Assert.NotEqual(PostStatus.Rejected, (await PostAndScanAsync(PdqTestImages.ResizedJpeg(original, 0.5, 80))).Status);

        await Banks.AddPdqAsync(Staff, "pdq-refresh", PdqHasher.Compute(original).Hash, "added later", default);
        var afterAdding = await PostAndScanAsync(PdqTestImages.ResizedJpeg(original, 0.6, 80));
        await platform.ExecuteAsync("delete from moderation.pdq_bank_entries where bank = 'pdq-refresh'");
        var afterRemoving = await PostAndScanAsync(PdqTestImages.ResizedJpeg(original, 0.7, 80));

        Assert.Equal((PostStatus.Rejected, 1.0), (afterAdding.Status, afterAdding.Pdq.Score));
        Assert.Equal((false, 0.0), (afterRemoving.Status == PostStatus.Rejected, afterRemoving.Pdq.Score));
    }

    [Fact]
    public async Task Adding_is_audited_once_and_adding_again_changes_nothing()
    {
        var hash = PdqHash.Parse("f00dfeedf00dfeed0123456789abcdef0123456789abcdeffedcba9876543210");

        var first = await Banks.AddPdqAsync(Staff, "pdq-audit", hash.ToHex().ToUpperInvariant(), "reported by a partner", default);
        var second = await Banks.AddPdqAsync(Staff, "pdq-audit", hash, "reported twice", default);

        Assert.Equal((true, false), (first, second));
        var entry = Assert.Single(await platform.Get<AuditLog>().ForSubjectAsync("pdq", hash.ToHex(), default));
        Assert.Equal(("hashbank.add_pdq", Staff.Name), (entry.Action, entry.Actor));
        Assert.Equal("pdq-audit", entry.Detail.GetProperty("bank").GetString());
        Assert.Equal("reported by a partner", await platform.ScalarAsync<string>(
            "select reason from moderation.pdq_bank_entries where bank = 'pdq-audit' and pdq = $1", hash.ToHex()));
    }

    [Theory]
    [InlineData("not a hash")]
    [InlineData("f00dfeedf00dfeed0123456789abcdef0123456789abcdeffedcba987654321")]
    [InlineData("f00dfeedf00dfeed0123456789abcdef0123456789abcdeffedcba987654321x")]
    public async Task Bad_hex_is_a_validation_error_that_changes_nothing(string hex)
    {
        var entries = await platform.ScalarAsync<long>("select count(*) from moderation.pdq_bank_entries");
        var audits = await platform.ScalarAsync<long>("select count(*) from ingest.audit_log");

        var error = await Banks.AddPdqAsync(Staff, "pdq-bad", hex, "bad", default).AssertRefusedAsync();

        Assert.Equal(["pdq"], error.Errors!.Keys);
        Assert.Equal(entries, await platform.ScalarAsync<long>("select count(*) from moderation.pdq_bank_entries"));
        Assert.Equal(audits, await platform.ScalarAsync<long>("select count(*) from ingest.audit_log"));
    }
}
