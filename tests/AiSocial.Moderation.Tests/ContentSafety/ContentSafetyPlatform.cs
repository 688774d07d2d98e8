using AiSocial.Ingest.Posts;
using AiSocial.Testing;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace AiSocial.Moderation.Tests.ContentSafety;

/// <summary>The whole platform with Content Safety configured and pointed at a loopback double (short timeouts, three scan attempts), with an
/// in-memory Quartz scheduler that is not started.</summary>
public sealed class ContentSafetyPlatform : PlatformFixture
{
    public ContentSafetyDouble Service { get; private set; } = null!;

    protected override async Task StartAsync()
    {
        Service = await ContentSafetyDouble.StartAsync();
        await base.StartAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        foreach (var (key, value) in ContentSafetyServices.Settings(Service.Endpoint))
        {
            settings[key] = value;
        }

        settings["Moderation:MaxCheckAttempts"] = "3";
        settings["Moderation:TextClassifier:RunScheduledRetrain"] = "false";
    }

    protected override void Customize(HostApplicationBuilder builder) => builder.AddQuartz(quartz => quartz.AddModerationJobs());

    protected override async ValueTask StopAsync()
    {
        await base.StopAsync();
        await Service.DisposeAsync();
    }

    /// <summary>Submits a post with every text a post can carry.</summary>
    public async Task<Post> SubmitAsync(string prompt, string? caption = null, string? altText = null, byte[]? image = null)
    {
        var author = await CreateAccountAsync();
        await using var content = new MemoryStream(image ?? TestImages.Unique(160, 120));
        var submitted = await Get<PostSubmissions>().SubmitAsync(author.Id, Guid.NewGuid().ToString(), new PostDraft(prompt, caption) { AltText = altText },
            content, CancellationToken.None);
        return submitted.Value.Post;
    }
}
