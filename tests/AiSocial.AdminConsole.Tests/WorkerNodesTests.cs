using System.Diagnostics;
using System.Text;
using AiSocial.Testing;

namespace AiSocial.AdminConsole.Tests;

/// <summary>
/// A headless worker (<c>AiSocial.AdminConsole.dll worker</c>, what <c>./aisocial worker</c> runs) as a real process on
/// this class's database: its own Quartz scheduler instance on the shared clustered store, scanning with short leases.
/// </summary>
public sealed class WorkerNode : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerNode(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, line) => Append(line.Data);
        _process.ErrorDataReceived += (_, line) => Append(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    /// <summary>What the outbox records as this node's lease owner contains (machine:pid:scanner).</summary>
    public string LeasePattern => $"%:{Pid}:%";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// A worker process. Its leases last <paramref name="leaseSeconds"/>: long by default, so that on a busy machine a
    /// slow batch is not taken over by the other node (correct, but a second attempt); short only where a test waits
    /// for a lease to expire.
    /// </summary>
    public static WorkerNode Start(DatabaseFixture platform, int parallelism, int leaseSeconds = 300)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "AiSocial.AdminConsole.dll"), "worker"])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        start.Environment["ConnectionStrings__aisocial"] = platform.ConnectionString;
        start.Environment["Media__Root"] = platform.MediaRoot;
        start.Environment["Export__Root"] = platform.ExportRoot;
        start.Environment["Models__Directory"] = TestModels.Directory;
        start.Environment["Moderation__ScanIntervalSeconds"] = "1";
        start.Environment["Moderation__ScanBatchSize"] = "4";
        start.Environment["Moderation__ScanParallelism"] = parallelism.ToString();
        start.Environment["Moderation__LeaseSeconds"] = leaseSeconds.ToString();
        return new WorkerNode(Process.Start(start)!);
    }

    /// <summary>Waits for a condition, checking a few times a second; fails with the nodes' output after <paramref name="patience"/>.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan patience, params WorkerNode[] nodes)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited {patience} for {what}.\n" + string.Join("\n----\n", nodes.Select(n => n.Output)));
            await Task.Delay(100);
        }
    }

    /// <summary>Ends the process at once, as a crash or a pulled plug would: no shutdown, no rollback it could run itself.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

public sealed class WorkerNodesTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private async Task<Guid[]> SubmitAsync(int count)
    {
        var author = await platform.CreateAccountAsync();
        var ids = new Guid[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = (await platform.SubmitPostAsync(author.Id)).Id;
        }

        return ids;
    }

    /// <summary>Waits for a condition on the database, checking a few times a second, and fails with the nodes' output after <see cref="Patience"/>.</summary>
    private static Task WaitForAsync(Func<Task<bool>> condition, string what, params WorkerNode[] nodes) =>
        WorkerNode.WaitForAsync(condition, what, Patience, nodes);

    /// <summary>Scheduler instances checked in on the clustered store (none before the first node has created it).</summary>
    private async Task<long> SchedulersAsync()
    {
        try
        {
            return await platform.ScalarAsync<long>("select count(*) from quartz.qrtz_scheduler_state");
        }
        catch (Npgsql.PostgresException missing) when (missing.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }

    private Task<long> CompletedAsync(Guid[] ids) =>
        platform.ScalarAsync<long>("select count(*) from ingest.outbox where subject_id = any($1) and completed_at is not null", ids);

    /// <summary>Each post has exactly one live policy decision and one set of signals (as many as every other post), and its outbox message completed once.</summary>
    private async Task AssertScannedOnceAsync(Guid[] ids)
    {
        Assert.Equal((long)ids.Length, await platform.ScalarAsync<long>(
            "select count(*) from (select post_id from moderation.decisions where post_id = any($1) and mode = 'live' group by post_id having count(*) = 1) t", ids));
        Assert.Equal(1L, await platform.ScalarAsync<long>(
            "select count(distinct n) from (select count(*) n from moderation.signals where post_id = any($1) group by post_id) t", ids));
        Assert.Equal((long)ids.Length, await platform.ScalarAsync<long>(
            "select count(*) from moderation.signals s where post_id = any($1) and category = 'known_bad_media' and source = 'hashbank.sha256'", ids));
        Assert.Equal((long)ids.Length, await platform.ScalarAsync<long>(
            "select count(*) from ingest.outbox where subject_id = any($1) and completed_at is not null", ids));
    }

    [Fact]
    public async Task Two_worker_nodes_on_one_database_scan_every_post_exactly_once_and_share_the_work()
    {
        await using var first = WorkerNode.Start(platform, parallelism: 2);
        // The second joins once the first has set up the shared store, as a node added later would.
        await WaitForAsync(async () => await SchedulersAsync() >= 1, "the first node's scheduler", first);
        await using var second = WorkerNode.Start(platform, parallelism: 2);
        await WaitForAsync(async () => await SchedulersAsync() >= 2, "the second node's scheduler", first, second);
        var ids = await SubmitAsync(40);

        await WaitForAsync(async () => await CompletedAsync(ids) == ids.Length, "every post scanned", first, second);

        await AssertScannedOnceAsync(ids);
        Assert.Equal((long)ids.Length, await platform.ScalarAsync<long>("select count(*) from ingest.outbox where subject_id = any($1) and attempts = 1", ids));
        foreach (var node in new[] { first, second })
        {
            Assert.True(await platform.ScalarAsync<long>("select count(*) from ingest.outbox where subject_id = any($1) and lease_owner like $2", ids, node.LeasePattern) > 0,
                $"Node {node.Pid} scanned none of the posts.\n{node.Output}");
        }
    }

    [Fact]
    public async Task A_node_killed_mid_batch_leaves_its_leased_posts_to_the_other_which_finishes_them_once_the_lease_expires()
    {
        var ids = await SubmitAsync(24);
        await using var doomed = WorkerNode.Start(platform, parallelism: 1, leaseSeconds: 5);
        // Mid-batch: it has finished a post and still holds leases on others it has not finished.
        await WaitForAsync(async () =>
            await platform.ScalarAsync<long>("select count(*) from ingest.outbox where subject_id = any($1) and lease_owner like $2 and completed_at is not null",
                ids, doomed.LeasePattern) > 0
            && await platform.ScalarAsync<long>(
                "select count(*) from ingest.outbox where subject_id = any($1) and lease_owner like $2 and completed_at is null and leased_until > now()",
                ids, doomed.LeasePattern) > 0, "the first node to be mid-batch", doomed);

        await doomed.KillAsync();
        var stranded = new Dictionary<Guid, (DateTime LeasedUntil, int Attempts)>();
        await using (var command = platform.DataSource.CreateCommand(
                         "select subject_id, leased_until, attempts from ingest.outbox where subject_id = any($1) and lease_owner like $2 and completed_at is null"))
        {
            command.Parameters.Add(new() { Value = ids });
            command.Parameters.Add(new() { Value = doomed.LeasePattern });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stranded[reader.GetGuid(0)] = (reader.GetDateTime(1), reader.GetInt32(2));
            }
        }

        Assert.NotEmpty(stranded);
        await using var survivor = WorkerNode.Start(platform, parallelism: 2);
        await WaitForAsync(async () => await CompletedAsync(ids) == ids.Length, "the survivor to finish every post", survivor);

        await AssertScannedOnceAsync(ids);
        // Each stranded post was finished by the survivor in one more attempt than it had when the node died (on a busy
        // machine the doomed node may already have re-leased one of its own expired leases, so that count is not always 1).
        foreach (var (postId, (leasedUntil, attempts)) in stranded)
        {
            Assert.Equal(1L, await platform.ScalarAsync<long>(
                "select count(*) from ingest.outbox where subject_id = $1 and lease_owner like $2 and attempts = $3", postId, survivor.LeasePattern, attempts + 1));
            Assert.True(await platform.ScalarAsync<DateTime>("select completed_at from ingest.outbox where subject_id = $1", postId) >= leasedUntil,
                "A stranded post was taken over before its lease expired.");
        }
    }
}
