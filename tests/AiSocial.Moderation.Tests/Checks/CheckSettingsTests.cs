using AiSocial.Moderation.Checks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AiSocial.Moderation.Tests.Checks;

public sealed class CheckSettingsTests
{
    private sealed class NamedCheck(string key, bool required) : IPostCheck
    {
        public string Source => $"test.{key.ToLowerInvariant()}";

        public string SettingsKey => key;

        public CheckReads Reads => CheckReads.Text;

        public bool Required => required;

        public TimeSpan Timeout => TimeSpan.FromSeconds(1);

        public Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken) =>
            throw new HttpRequestException("down");
    }

    /// <summary>The options as the host binds them from configuration.</summary>
    private static IOptions<ModerationOptions> Bound(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddOptions<ModerationOptions>().BindConfiguration(ModerationOptions.Section);
        return services.BuildServiceProvider().GetRequiredService<IOptions<ModerationOptions>>();
    }

    [Fact]
    public async Task Configuration_switches_checks_off_makes_them_optional_or_required_and_runs_them_in_shadow()
    {
        var options = Bound(new()
        {
            ["Moderation:Checks:Off:Enabled"] = "false",
            ["Moderation:Checks:Optional:Required"] = "false",
            ["Moderation:Checks:Promoted:Required"] = "true",
            ["Moderation:Checks:Trial:Mode"] = "Shadow",
            ["Moderation:Checks:Trial:Required"] = "true",
        });
        var runner = new CheckRunner(
            [new NamedCheck("Off", true), new NamedCheck("Optional", true), new NamedCheck("Promoted", false), new NamedCheck("Trial", true),
             new NamedCheck("Untouched", true)], options);
        using var subject = new CheckSubject(new string('0', 64), [], [new SubjectText("prompt", "a prompt")]);

        var results = await runner.RunAsync(subject, default);

        Assert.Equal(["Optional", "Promoted", "Trial", "Untouched"], runner.Configured.Select(c => c.Check.SettingsKey));
        Assert.Equal([("Optional", false, false), ("Promoted", true, false), ("Trial", false, true), ("Untouched", true, false)],
            results.Select(r => (r.Check.SettingsKey, r.Required, r.Shadow)));
        // A shadow check is never required, even when configured so: waiting for what is never acted on holds posts for nothing.
        Assert.All(results, r => Assert.False(r.Available));
    }
}
