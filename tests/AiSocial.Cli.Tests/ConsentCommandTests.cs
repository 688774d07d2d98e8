using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Testing;

namespace AiSocial.Cli.Tests;

/// <summary>One database for this class: the second half breaks its chain for good.</summary>
public sealed class ConsentCommandTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    [Fact]
    public async Task Verify_prints_the_count_and_head_and_OK_then_names_the_first_broken_event_with_a_failing_exit_code()
    {
        var account = await platform.CreateAccountAsync();
        var events = new List<ConsentEvent>();
        foreach (var granted in new[] { true, false, true })
        {
            events.Add((await platform.Get<ConsentLedger>().RecordAsync(new Actor(account.Id, account.Handle), account.Id,
                new ConsentChange(ConsentPurposes.AiTraining, granted, "2026-11"), ConsentSource.Import, default)).Value);
        }

        var ok = await CommandLine.RunAsync(platform, "consent", "verify");

        Assert.True(ok.ExitCode == 0, ok.Error);
        Assert.Contains($"events: {await platform.ScalarAsync<long>("select count(*) from ingest.consent_events")}", ok.Output);
        Assert.Contains($"head: {events[^1].Hash}", ok.Output);
        Assert.Contains("OK", ok.Output.Split('\n'));

        // As the database owner, past the append-only trigger: one event is removed.
        await platform.ExecuteAsync(
            $"""
            do $$ begin
                alter table ingest.consent_events disable trigger user;
                delete from ingest.consent_events where id = {events[1].Id};
                alter table ingest.consent_events enable trigger user;
            end $$
            """);

        var broken = await CommandLine.RunAsync(platform, "consent", "verify");

        Assert.Equal(1, broken.ExitCode);
        Assert.Contains($"BROKEN at event {events[2].Id}: its previous hash is not the hash of event {events[0].Id}", broken.Output);
        Assert.DoesNotContain("OK", broken.Output.Split('\n'));
    }
}
