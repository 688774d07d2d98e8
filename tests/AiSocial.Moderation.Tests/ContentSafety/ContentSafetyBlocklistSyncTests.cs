using AiSocial.Ingest.Audit;
using AiSocial.Moderation.ContentSafety;
using AiSocial.Moderation.Prompts;

namespace AiSocial.Moderation.Tests.ContentSafety;

public sealed class ContentSafetyBlocklistSyncTests(ContentSafetyPlatform platform) : IClassFixture<ContentSafetyPlatform>
{
    private static readonly Actor Staff = Actor.System("test");

    private ContentSafetyDouble Service => platform.Service;

    private ContentSafetyBlocklistSync Sync => platform.Get<ContentSafetyBlocklistSync>();

    private PromptBlocklist Blocklist => platform.Get<PromptBlocklist>();

    private List<(string Id, string Text, string? Description)> RemoteItems() => Service.Blocklists["aisocial"].Items;

    [Fact]
    public async Task The_service_list_follows_the_table_created_added_removed_by_id_paged_chunked_and_idempotent()
    {
        Service.Reset();
        Service.PageSize = 2;
        await platform.ExecuteAsync("delete from moderation.prompt_blocklist");
        await Blocklist.AddAsync(Staff, "Kill-All", "violence", default);
        await Blocklist.AddAsync(Staff, "gore", "violence", default);
        await Blocklist.AddAsync(Staff, "Crème Brûlée", "food", default);

        var first = await Sync.RunAsync(default);

        Assert.Equal(new BlocklistSyncReport(Created: true, Added: 3, Removed: 0, Kept: 0, Skipped: 0), first);
        Assert.Equal(["creme brulee", "gore", "kill all"], RemoteItems().Select(i => i.Text).Order());
        Assert.Equal("food", RemoteItems().Single(i => i.Text == "creme brulee").Description);
        Assert.Equal(3L, await platform.ScalarAsync<long>("select count(*) from moderation.content_safety_blocklist_items where blocklist_name = 'aisocial'"));

        Service.Requests.Clear();
        var second = await Sync.RunAsync(default);

        Assert.Equal(new BlocklistSyncReport(false, 0, 0, 3, 0), second);
        Assert.Empty(Service.RequestsTo(":addOrUpdateBlocklistItems"));
        Assert.Empty(Service.RequestsTo(":removeBlocklistItems"));
        Assert.DoesNotContain(Service.Requests, r => r.Method == "PATCH");
        Assert.Equal(["0", "2"], Service.RequestsTo("/blocklistItems").Select(r => r.Query.GetValueOrDefault("skip") ?? "0"));

        // Deleted here, added there by hand, and a duplicate: all three go, each by its item id.
        await Blocklist.RemoveAsync(Staff, "gore", default);
        var gore = RemoteItems().Single(i => i.Text == "gore").Id;
        RemoteItems().Add(("stray-id", "stray", null));
        RemoteItems().Add(("duplicate-id", "KILL ALL", null));
        Service.Requests.Clear();

        var third = await Sync.RunAsync(default);

        Assert.Equal(new BlocklistSyncReport(false, 0, 3, 2, 0), third);
        var removed = Assert.Single(Service.RequestsTo(":removeBlocklistItems")).Json.GetProperty("blocklistItemIds").EnumerateArray().Select(e => e.GetString());
        Assert.Equal(new[] { "duplicate-id", gore, "stray-id" }.Order(), removed.Order());
        Assert.Equal(["creme brulee", "kill all"], RemoteItems().Select(i => i.Text).Order());
        Assert.Equal(["creme brulee", "kill all"], (await ItemsStoredAsync()).Order());
    }

    [Fact]
    public async Task Many_new_terms_go_in_chunks_of_a_hundred_and_terms_too_long_for_the_service_are_counted_not_sent()
    {
        Service.Reset();
        Service.PageSize = 100;
        await platform.ExecuteAsync("delete from moderation.prompt_blocklist");
        await platform.ExecuteAsync(
            "insert into moderation.prompt_blocklist (term, normalized, rule, added_by) select 'term' || i, 'term' || i, 'test', 'test' from generate_series(1, 230) i");
        var longTerm = string.Join(' ', Enumerable.Repeat("word", 30));
        await Blocklist.AddAsync(Staff, longTerm, "test", default);

        var report = await Sync.RunAsync(default);

        Assert.Equal((230, 1), (report.Added, report.Skipped));
        Assert.Equal([100, 100, 30], Service.RequestsTo(":addOrUpdateBlocklistItems").Select(r => r.Json.GetProperty("blocklistItems").GetArrayLength()));
        Assert.Equal(230, RemoteItems().Count);

        Service.Requests.Clear();
        Assert.Equal(new BlocklistSyncReport(false, 0, 0, 230, 1), await Sync.RunAsync(default));
        Assert.Equal(3, Service.RequestsTo("/blocklistItems").Count); // 230 items, 100 a page
    }

    [Fact]
    public async Task A_failed_sync_is_recorded_and_the_next_run_completes_it()
    {
        Service.Reset();
        await platform.ExecuteAsync("delete from moderation.prompt_blocklist");
        await Blocklist.AddAsync(Staff, "gore", "violence", default);
        Service.AlwaysFail = (ServiceFault.InternalError500, null);

        await Assert.ThrowsAsync<ContentSafetyException>(() => Sync.RunAsync(default));

        Assert.Contains("500", await platform.ScalarAsync<string>("select last_error from moderation.content_safety_blocklist_syncs where blocklist_name = 'aisocial'"));
        Service.AlwaysFail = null;
        Assert.Equal(1, (await Sync.RunAsync(default)).Added);
        Assert.True(await platform.ScalarAsync<bool>("select last_error is null and last_success_at is not null from moderation.content_safety_blocklist_syncs"));
    }

    private async Task<List<string>> ItemsStoredAsync()
    {
        await using var command = platform.DataSource.CreateCommand("select text from moderation.content_safety_blocklist_items where blocklist_name = 'aisocial'");
        await using var reader = await command.ExecuteReaderAsync();
        var texts = new List<string>();
        while (await reader.ReadAsync())
        {
            texts.Add(reader.GetString(0));
        }

        return texts;
    }
}
