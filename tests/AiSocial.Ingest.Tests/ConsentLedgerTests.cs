using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Testing;
using Npgsql;

namespace AiSocial.Ingest.Tests;

public sealed class ConsentLedgerTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private ConsentLedger Ledger => platform.Get<ConsentLedger>();

    [Fact]
    public async Task Each_change_is_a_new_event_and_the_latest_one_is_current()
    {
        var account = await platform.CreateAccountAsync();
        var actor = new Actor(account.Id, account.Handle);

        var granted = (await Ledger.RecordAsync(actor, account.Id, new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default)).Value;
        var withdrawn = (await Ledger.RecordAsync(actor, account.Id, new ConsentChange(ConsentPurposes.AiTraining, false, "2026-11"), ConsentSource.Import, default)).Value;
        await Ledger.RecordAsync(actor, account.Id, new ConsentChange(ConsentPurposes.DataMining, true, "2026-11"), ConsentSource.Import, default);

        var current = await Ledger.CurrentAsync(account.Id, default);
        Assert.Equal([(ConsentPurposes.AiTraining, false), (ConsentPurposes.DataMining, true)], current.Select(e => (e.Purpose, e.Granted)));
        Assert.Equal(withdrawn.Id, current.Single(e => e.Purpose == ConsentPurposes.AiTraining).Id);
        Assert.Equal(3, (await Ledger.HistoryAsync(account.Id, default)).Count);
        Assert.True(withdrawn.Id > granted.Id);
    }

    [Fact]
    public async Task Every_change_is_audited_with_its_actor()
    {
        var account = await platform.CreateAccountAsync();

        var recorded = (await Ledger.RecordAsync(new Actor(account.Id, account.Handle), account.Id,
            new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default)).Value;

        var entry = Assert.Single(await platform.Get<AuditLog>().ForSubjectAsync("account", account.Id.ToString(), default));
        Assert.Equal(("consent.grant", account.Id, account.Handle), (entry.Action, entry.ActorId, entry.Actor));
        Assert.Equal(recorded.Id, entry.Detail.GetProperty("Id").GetInt64());
    }

    [Fact]
    public async Task The_ledger_cannot_be_rewritten()
    {
        var account = await platform.CreateAccountAsync();
        var recorded = (await Ledger.RecordAsync(new Actor(account.Id, account.Handle), account.Id,
            new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default)).Value;

        await Assert.ThrowsAsync<PostgresException>(() => platform.ExecuteAsync("update ingest.consent_events set granted = false where id = $1", recorded.Id));
        await Assert.ThrowsAsync<PostgresException>(() => platform.ExecuteAsync("delete from ingest.consent_events where id = $1", recorded.Id));
        Assert.True((await Ledger.CurrentAsync(account.Id, default)).Single().Granted);
    }

    [Fact]
    public async Task Unknown_purposes_and_missing_fields_are_refused()
    {
        var account = await platform.CreateAccountAsync();

        var error = await Ledger.RecordAsync(new Actor(account.Id, account.Handle), account.Id, new ConsentChange("marketing", null, ""), ConsentSource.Import, default).AssertRefusedAsync();

        Assert.Equal(["granted", "purpose", "termsVersion"], error.Errors!.Keys.Order());
        Assert.Empty(await Ledger.HistoryAsync(account.Id, default));
    }
}

public sealed class AuditLogTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    [Fact]
    public async Task Entries_can_be_added_but_never_changed_or_removed()
    {
        var subject = Guid.NewGuid().ToString();
        await platform.Get<AuditLog>().AppendAsync(Actor.System("test"), "test.action", "thing", subject, new { n = 1 }, default);

        await Assert.ThrowsAsync<PostgresException>(() => platform.ExecuteAsync("update ingest.audit_log set action = 'x' where subject_id = $1", subject));
        await Assert.ThrowsAsync<PostgresException>(() => platform.ExecuteAsync("delete from ingest.audit_log where subject_id = $1", subject));
        await Assert.ThrowsAsync<PostgresException>(() => platform.ExecuteAsync("truncate ingest.audit_log"));

        var entry = Assert.Single(await platform.Get<AuditLog>().ForSubjectAsync("thing", subject, default));
        Assert.Equal(("test.action", "system:test", 1), (entry.Action, entry.Actor, entry.Detail.GetProperty("n").GetInt32()));
    }
}
