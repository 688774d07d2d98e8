using System.Security.Cryptography;
using AiSocial.Export.Runs;

namespace AiSocial.Export.Tests;

/// <summary>The runner's fixture with a heartbeat every 50 ms, so one lands while a run's end is being recorded.</summary>
public sealed class QuickHeartbeatFixture : RunnerFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Export:HeartbeatInterval"] = "00:00:00.050";
    }
}

public sealed class RunEndTests(QuickHeartbeatFixture runs) : IClassFixture<QuickHeartbeatFixture>
{
    [Fact]
    public async Task A_heartbeat_that_waited_while_the_success_was_recorded_neither_cancels_the_run_nor_deletes_what_it_published()
    {
        // The success's transaction holds the run's row while it records the published rows (long for a large run); this
        // trigger holds it until a heartbeat waits on that row, which then finds the run no longer running once it commits.
        await runs.ExecuteAsync(
            """
            create table public.heartbeat_waits (seen boolean not null);
            create function public.hold_until_a_heartbeat_waits() returns trigger language plpgsql as $$
            declare
              deadline timestamptz := clock_timestamp() + interval '30 seconds';
              seen boolean := false;
            begin
              while not seen and clock_timestamp() < deadline loop
                perform pg_stat_clear_snapshot(); -- pg_stat_activity is otherwise read once per transaction
                seen := exists (select 1 from pg_stat_activity
                                where wait_event_type = 'Lock' and query like 'update export.runs set heartbeat_at%');
                perform pg_sleep(0.01);
              end loop;
              insert into public.heartbeat_waits values (seen);
              return null;
            end $$;
            create trigger hold_until_a_heartbeat_waits after insert on export.published_rows
              for each statement execute function public.hold_until_a_heartbeat_waits();
            """);
        try
        {
            var dataset = await runs.NewDatasetAsync();

            var run = await runs.RunAsync(dataset.Spec.Name);

            Assert.True(await runs.ScalarAsync<bool>("select bool_or(seen) from public.heartbeat_waits"), "no heartbeat waited on the run's row");
            Assert.Equal(ExportRunStatus.Succeeded, run.Status);
            Assert.Equal("succeeded", await runs.ScalarAsync<string>("select status from export.runs where id = $1", run.RunId));
            var manifest = await ExportManifest.ReadAsync(run.Output, default);
            Assert.Equal(2, manifest.RowsIncluded);
            foreach (var file in manifest.Files)
            {
                var bytes = await File.ReadAllBytesAsync(Path.Combine(run.Output, file.Path));
                Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
            }
        }
        finally
        {
            await runs.ExecuteAsync(
                """
                drop trigger hold_until_a_heartbeat_waits on export.published_rows;
                drop function public.hold_until_a_heartbeat_waits();
                drop table public.heartbeat_waits;
                """);
        }
    }
}
