using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.Feed.Tests;

public sealed class OnePostEndToEndTests(FeedFixture feed) : IClassFixture<FeedFixture>
{
    [Fact]
    public async Task A_post_travels_from_upload_through_scan_and_review_to_a_Parquet_row_DuckDB_reads()
    {
        var author = await feed.SignUpAsync();
        var bystander = await feed.SignUpAsync(); // never says yes to training
        var consent = await feed.Client(author.Token).PutAsJsonAsync("/api/v1/me/consent",
            new { purpose = "cawg.ai_training", granted = true, termsVersion = "2026-11" });
        Assert.Equal(HttpStatusCode.OK, consent.StatusCode);

        var image = TestImages.Png(160, 120, seed: 9001);
        var upload = await feed.PostImageAsync(author.Token, "e2e-1", image, "a paper boat on a puddle, end to end");
        var bystanderUpload = await feed.PostImageAsync(bystander.Token, "e2e-2", TestImages.Png(seed: 9002), "not for training");
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var postId = (await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var bystanderPostId = (await bystanderUpload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.NotFound, (await feed.Client().GetAsync($"/api/v1/posts/{postId}")).StatusCode);

        // Scanned: a signal, and a task in the review queue (here every post goes to a person; the policy's own way is tested in moderation).
        await feed.HoldEveryPostAsync();
        await feed.Worker.GetRequiredService<PostScanner>().ScanUntilIdleAsync(default);

        var queue = feed.Worker.GetRequiredService<ReviewQueue>();
        var open = (await queue.ListOpenAsync(0, 100, default)).Items;
        var task = Assert.Single(open, i => i.Post.Id == postId);
        Assert.NotEmpty(task.Signals);
        Assert.Equal(HttpStatusCode.NotFound, (await feed.Client().GetAsync($"/api/v1/posts/{postId}")).StatusCode);

        // Reviewed: a moderator approves both.
        var moderator = await feed.CreateAccountAsync(Roles.Moderator);
        foreach (var item in open.Where(i => i.Post.Id == postId || i.Post.Id == bystanderPostId))
        {
            await queue.DecideAsync(item.TaskId, new Actor(moderator.Id, moderator.Handle), ReviewDecision.Approve, shownBlurred: false, null, default);
        }

        // Published: anyone sees it, on the timeline too, with its image.
        var published = await feed.Client().GetFromJsonAsync<JsonElement>($"/api/v1/posts/{postId}");
        Assert.Equal("published", published.GetProperty("status").GetString());
        var timeline = await feed.Client().GetFromJsonAsync<JsonElement>("/api/v1/timelines/public?limit=100");
        Assert.Contains(timeline.GetProperty("items").EnumerateArray(), p => p.GetProperty("id").GetGuid() == postId);
        var served = await feed.Client().GetByteArrayAsync(published.GetProperty("imageUrl").GetString());
        Assert.Equal(0, TestImages.MaxChannelDifference(image, served));

        // Exported: one row for the consenting author's post, none for the other.
        await feed.Worker.GetRequiredService<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec { Name = "e2e", Description = "end to end" }, default);
        var output = Path.Combine(Directory.CreateTempSubdirectory("aisocial-e2e-").FullName, "out");
        var run = (await feed.Worker.GetRequiredService<ExportRunner>().RunAsync("e2e", Actor.System("test"), ExportRunKind.Full, output, null, default)).Value;

        var rows = await DuckDb.QueryAsync(
            $"select post_id as id, prompt, label_decision as moderation_label, sha256(image.bytes) as sha256 from read_parquet({DuckDb.Literal(Path.Combine(output, "data", "*.parquet"))})");
        var row = Assert.Single(rows);
        Assert.Equal(postId.ToString(), row.GetProperty("id").GetString());
        Assert.Equal("a paper boat on a puddle, end to end", row.GetProperty("prompt").GetString());
        Assert.Equal("approve", row.GetProperty("moderation_label").GetString());
        // The row holds the stored original, which the image's URL names; served copies carry consent-dependent XMP besides.
        Assert.Equal(published.GetProperty("imageUrl").GetString()!["/media/".Length..], row.GetProperty("sha256").GetString());
        Assert.Equal(1, run.Manifest!.Excluded["consent_missing"]); // the manifest's published key (issue 11 names)
    }
}
