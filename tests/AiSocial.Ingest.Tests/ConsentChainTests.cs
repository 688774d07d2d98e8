using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Testing;
using Npgsql;

namespace AiSocial.Ingest.Tests;

public sealed class ConsentChainTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private ConsentLedger Ledger => platform.Get<ConsentLedger>();

    private async Task<IReadOnlyList<ConsentEvent>> RecordSomeAsync(int count)
    {
        var account = await platform.CreateAccountAsync();
        var recorded = new List<ConsentEvent>();
        for (var i = 0; i < count; i++)
        {
            recorded.Add((await Ledger.RecordAsync(new Actor(account.Id, account.Handle), account.Id,
                new ConsentChange(ConsentPurposes.All[i % ConsentPurposes.All.Count], i % 3 != 2, "2026-11"), ConsentSource.Api("203.0.113.7"), default)).Value);
        }

        return recorded;
    }

    /// <summary>Tampers as the database owner inside a transaction that is rolled back, and checks the chain in between.</summary>
    private async Task<ChainCheck> VerifyAfterTamperingAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(platform.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var disable = new NpgsqlCommand("alter table ingest.consent_events disable trigger user", connection))
        {
            await disable.ExecuteNonQueryAsync();
        }

        await using (var tamper = new NpgsqlCommand(sql, connection))
        {
            foreach (var parameter in parameters)
            {
                tamper.Parameters.Add(new() { Value = parameter });
            }

            Assert.Equal(1, await tamper.ExecuteNonQueryAsync());
        }

        var check = await ConsentChain.VerifyAsync(connection, default);
        await transaction.RollbackAsync();
        return check;
    }

    [Fact]
    public async Task Each_event_carries_the_previous_hash_and_the_chain_verifies_up_to_the_head()
    {
        var recorded = await RecordSomeAsync(5);

        for (var i = 1; i < recorded.Count; i++)
        {
            Assert.Equal(recorded[i - 1].Hash, recorded[i].PreviousHash);
        }

        var check = await ConsentChain.VerifyAsync(platform.DataSource, default);
        Assert.True(check.Ok, check.Reason);
        Assert.Equal(await platform.ScalarAsync<long>("select count(*) from ingest.consent_events"), check.Events);
        Assert.Equal(recorded[^1].Hash, check.HeadHash);
        Assert.Equal(recorded[^1].Hash, await Ledger.HeadHashAsync(default));
    }

    [Fact]
    public async Task Concurrent_changes_stay_one_chain_in_id_order()
    {
        var accounts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => platform.CreateAccountAsync()));

        var recorded = await Task.WhenAll(accounts.SelectMany(a => ConsentPurposes.All.Select(async purpose =>
            (await Ledger.RecordAsync(new Actor(a.Id, a.Handle), a.Id, new ConsentChange(purpose, true, "2026-11"), ConsentSource.Import, default)).Value)));

        var check = await ConsentChain.VerifyAsync(platform.DataSource, default);
        Assert.True(check.Ok, check.Reason);
        Assert.Equal(recorded.MaxBy(e => e.Id)!.Hash, check.HeadHash);
    }

    [Fact]
    public async Task A_changed_event_is_named_by_the_check()
    {
        var recorded = await RecordSomeAsync(4);
        var target = recorded[1];

        var check = await VerifyAfterTamperingAsync("update ingest.consent_events set granted = not granted where id = $1", target.Id);

        Assert.False(check.Ok);
        Assert.Equal(target.Id, check.BrokenEventId);
        Assert.Contains($"event {target.Id}: its hash does not match its contents", check.Reason);
        Assert.True((await ConsentChain.VerifyAsync(platform.DataSource, default)).Ok);
    }

    [Fact]
    public async Task A_changed_event_whose_hash_was_recomputed_breaks_the_link_to_the_next()
    {
        var recorded = await RecordSomeAsync(4);
        var target = recorded[1];

        var check = await VerifyAfterTamperingAsync(
            """
            update ingest.consent_events set granted = not granted,
                hash = ingest.consent_event_hash(prev_hash, id, subject, purpose, not granted, terms_version, source_kind, client_address_digest, occurred_at)
            where id = $1
            """, target.Id);

        Assert.Equal(recorded[2].Id, check.BrokenEventId);
        Assert.Contains($"is not the hash of event {target.Id}", check.Reason);
    }

    [Fact]
    public async Task A_deleted_event_is_named_by_the_check()
    {
        var recorded = await RecordSomeAsync(4);
        var target = recorded[1];

        var check = await VerifyAfterTamperingAsync("delete from ingest.consent_events where id = $1", target.Id);

        Assert.False(check.Ok);
        Assert.Equal(recorded[2].Id, check.BrokenEventId);
        Assert.Contains($"events {target.Id}–{target.Id} were removed", check.Reason);
    }

    [Fact]
    public async Task Removing_the_newest_event_is_found_through_the_head()
    {
        await RecordSomeAsync(3);
        var newest = await platform.ScalarAsync<long>("select max(id) from ingest.consent_events");

        var check = await VerifyAfterTamperingAsync("delete from ingest.consent_events where id = $1", newest);

        Assert.Equal(newest, check.BrokenEventId);
        Assert.Contains("the newest events were removed", check.Reason);
    }

    [Fact]
    public async Task A_changed_client_address_or_account_is_found()
    {
        var recorded = await RecordSomeAsync(2);

        var address = await VerifyAfterTamperingAsync("update ingest.consent_events set client_address = '198.51.100.1' where id = $1", recorded[0].Id);
        var other = await platform.CreateAccountAsync();
        var account = await VerifyAfterTamperingAsync("update ingest.consent_events set account_id = $2 where id = $1", recorded[0].Id, other.Id);

        Assert.Equal((recorded[0].Id, recorded[0].Id), (address.BrokenEventId, account.BrokenEventId));
        Assert.Contains("client address", address.Reason);
        Assert.Contains("account", account.Reason);
    }

    [Fact]
    public async Task Forgetting_an_account_withdraws_what_it_granted_and_keeps_only_the_pseudonym()
    {
        var account = await platform.CreateAccountAsync();
        var actor = new Actor(account.Id, account.Handle);
        await Ledger.RecordAsync(actor, account.Id, new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Api("203.0.113.9"), default);
        await Ledger.RecordAsync(actor, account.Id, new ConsentChange(ConsentPurposes.DataMining, true, "2026-11"), ConsentSource.Import, default);
        await Ledger.RecordAsync(actor, account.Id, new ConsentChange(ConsentPurposes.DataMining, false, "2026-11"), ConsentSource.Import, default);
        await Ledger.RecordAsync(actor, account.Id, new ConsentChange(ConsentPurposes.AiInference, true, "2026-11"), ConsentSource.Import, default);

        IReadOnlyList<ConsentEvent> withdrawals;
        await using (var connection = await platform.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            withdrawals = await ConsentLedger.ForgetAccountAsync(connection, account.Id, default);
            await transaction.CommitAsync();
        }

        Assert.Equal([ConsentPurposes.AiInference, ConsentPurposes.AiTraining], withdrawals.Select(w => w.Purpose));
        Assert.All(withdrawals, w => Assert.Equal((false, ConsentSource.ErasureKind, "2026-11"), (w.Granted, w.SourceKind, w.TermsVersion)));
        Assert.Empty(await Ledger.HistoryAsync(account.Id, default));
        var subject = ConsentLedger.SubjectOf(account.Id);
        Assert.Equal(6L, await platform.ScalarAsync<long>(
            "select count(*) from ingest.consent_events where subject = $1 and account_id is null and client_address is null and client_address_salt is null", subject));
        Assert.Equal(0L, await platform.ScalarAsync<long>(
            "select count(*) from ingest.consent_events where subject = $1 and client_address_digest is not null and source_kind <> 'api'", subject));
        var check = await ConsentChain.VerifyAsync(platform.DataSource, default);
        Assert.True(check.Ok, check.Reason);
        var audit = await platform.Get<AuditLog>().ForSubjectAsync("account", account.Id.ToString(), default);
        Assert.Equal(2, audit.Count(e => e.Actor == "system:erasure" && e.Action == "consent.withdraw"));
    }

    [Fact]
    public async Task Only_erasure_may_update_an_event_and_only_its_personal_fields()
    {
        var recorded = (await RecordSomeAsync(1))[0];

        await Assert.ThrowsAsync<PostgresException>(() => platform.ExecuteAsync(
            "update ingest.consent_events set account_id = null, client_address = null, client_address_salt = null, granted = not granted where id = $1", recorded.Id));
        await Assert.ThrowsAsync<PostgresException>(() => platform.ExecuteAsync("update ingest.consent_events set client_address = null where id = $1", recorded.Id));
        await Assert.ThrowsAsync<PostgresException>(() => platform.ExecuteAsync("truncate ingest.consent_events cascade"));
        Assert.Equal(1L, await platform.ScalarAsync<long>("select count(*) from ingest.consent_events where id = $1 and client_address is not null", recorded.Id));
    }
}

/// <summary>The migration hashes events recorded before the chain existed, in id order, and keeps their sources.</summary>
public sealed class ConsentChainMigrationTests
{
    [Fact]
    public async Task Events_from_before_the_chain_are_chained_in_order_and_verify()
    {
        var connectionString = await TestDatabase.CreateEmptyAsync();
        try
        {
            var scripts = Extensions.Migrations.LoadScripts();
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            foreach (var script in scripts.TakeWhile(s => string.CompareOrdinal(s.Name, "0014") < 0))
            {
                await using var command = dataSource.CreateCommand(script.Sql);
                await command.ExecuteNonQueryAsync();
            }

            await using (var legacy = dataSource.CreateCommand(
                """
                insert into ingest.accounts (id, handle, display_name, birth_year, password_hash)
                values ('5b2f4c1e-0c1d-4d39-9a55-0d7f6f0f4a11', 'legacy_person', 'Legacy', 1990, 'x');
                insert into ingest.consent_events (account_id, purpose, granted, terms_version, source) values
                    ('5b2f4c1e-0c1d-4d39-9a55-0d7f6f0f4a11', 'cawg.ai_training', true, '1', 'api 192.0.2.4 curl/8'),
                    ('5b2f4c1e-0c1d-4d39-9a55-0d7f6f0f4a11', 'cawg.ai_training', false, 'v2', 'seed'),
                    ('5b2f4c1e-0c1d-4d39-9a55-0d7f6f0f4a11', 'cawg.data_mining', true, '2026-11', null);
                """))
            {
                await legacy.ExecuteNonQueryAsync();
            }

            await using (var migrate = dataSource.CreateCommand(scripts.Single(s => s.Name == "0014_consent_ledger.sql").Sql))
            {
                await migrate.ExecuteNonQueryAsync();
            }

            var check = await ConsentChain.VerifyAsync(dataSource, default);
            Assert.True(check.Ok, check.Reason);
            Assert.Equal(3, check.Events);
            await using var read = dataSource.CreateCommand("select source_kind, client_address, subject from ingest.consent_events order by id");
            await using var reader = await read.ExecuteReaderAsync();
            var rows = new List<(string, string?, string)>();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2)));
            }

            var subject = ConsentLedger.SubjectOf(Guid.Parse("5b2f4c1e-0c1d-4d39-9a55-0d7f6f0f4a11"));
            Assert.Equal([("api", "192.0.2.4", subject), ("import", null, subject), ("import", null, subject)], rows);
        }
        finally
        {
            await TestDatabase.DropAsync(connectionString);
        }
    }
}
