using AiSocial.Moderation.Checks;
using AiSocial.Moderation.ContentSafety;
using AiSocial.Moderation.Prompts;
using AiSocial.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Quartz;

namespace AiSocial.Moderation.Tests.ContentSafety;

/// <summary>The platform as it runs offline: no Content Safety endpoint, and an in-memory scheduler.</summary>
public sealed class OfflinePlatform : PlatformFixture
{
    protected override void Configure(IDictionary<string, string?> settings) => settings["Moderation:TextClassifier:RunScheduledRetrain"] = "false";

    protected override void Customize(HostApplicationBuilder builder) => builder.AddQuartz(quartz => quartz.AddModerationJobs());
}

public sealed class ContentSafetyAbsentTests(OfflinePlatform platform) : IClassFixture<OfflinePlatform>
{
    [Fact]
    public async Task Without_an_endpoint_nothing_of_content_safety_exists_no_check_no_prompt_check_no_client_no_job()
    {
        Assert.DoesNotContain(platform.Get<CheckRunner>().Checks, check => check.Source.StartsWith("contentsafety", StringComparison.Ordinal));
        Assert.DoesNotContain(platform.Get<IEnumerable<IPromptCheck>>(), check => check.Name is "prompt-shields" or "protected-material");
        Assert.Null(platform.Services.GetService<ContentSafetyClient>());

        var scheduler = await platform.Get<ISchedulerFactory>().GetScheduler();
        Assert.Null(await scheduler.GetTrigger(ContentSafetyBlocklistSyncJob.TriggerKey));
    }
}

public sealed class ContentSafetySchedulingTests(ContentSafetyPlatform platform) : IClassFixture<ContentSafetyPlatform>
{
    [Fact]
    public async Task With_an_endpoint_the_blocklist_sync_is_scheduled_and_runs_from_the_start()
    {
        var scheduler = await platform.Get<ISchedulerFactory>().GetScheduler();
        Assert.NotNull(await scheduler.GetTrigger(ContentSafetyBlocklistSyncJob.TriggerKey));
        await scheduler.Start();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await platform.ScalarAsync<bool>("select exists (select from moderation.content_safety_blocklist_syncs where last_success_at is not null)"))
            {
                Assert.True(DateTime.UtcNow < deadline, "the scheduled sync did not run");
                await Task.Delay(50);
            }

            Assert.True(platform.Service.Blocklists.ContainsKey("aisocial"));
        }
        finally
        {
            await scheduler.Standby();
        }
    }
}

public sealed class ContentSafetyOptionsTests : IClassFixture<ContentSafetyDoubleFixture>
{
    private readonly ContentSafetyDouble _service;

    public ContentSafetyOptionsTests(ContentSafetyDoubleFixture fixture) => _service = fixture.Service;

    [Fact]
    public async Task An_endpoint_without_key_or_token_stops_the_host_naming_the_settings()
    {
        using var services = new ContentSafetyServices(_service, new Dictionary<string, string?> { ["ContentSafety:Key"] = "" });

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(services.StartAsync);

        Assert.Contains("ContentSafety:Key", refused.Message);
        Assert.Contains("ContentSafety:BearerToken", refused.Message);
    }

    [Fact]
    public async Task A_malformed_api_version_or_blocklist_name_stops_the_host()
    {
        using var services = new ContentSafetyServices(_service, new Dictionary<string, string?>
        {
            ["ContentSafety:ApiVersion"] = "latest",
            ["ContentSafety:BlocklistName"] = "has spaces",
        });

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(services.StartAsync);

        Assert.Contains("ContentSafety:ApiVersion", refused.Message);
        Assert.Contains("ContentSafety:BlocklistName", refused.Message);
    }
}
