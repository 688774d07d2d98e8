using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AiSocial.Moderation.Tests;

/// <summary>
/// A check that counts the posts being checked at once. Every call waits until <see cref="Expected"/> are in flight
/// together (from then on calls pass straight through), so a scanner that runs fewer at once never gets past the first
/// posts: they time out.
/// </summary>
public sealed class ConcurrencyProbeCheck : IPostCheck
{
    public const int Expected = 3;

    private readonly TaskCompletionSource _together = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private int _most;

    public int Most => Volatile.Read(ref _most);

    public string Source => "test.concurrency";

    public string SettingsKey => "ConcurrencyProbe";

    public CheckReads Reads => CheckReads.Text;

    public bool Required => true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(60);

    public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref _inFlight);
        int most;
        while ((most = Volatile.Read(ref _most)) < now && Interlocked.CompareExchange(ref _most, now, most) != most)
        {
        }

        if (now >= Expected)
        {
            _together.TrySetResult();
        }

        try
        {
            await _together.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }

        return [new Signal(Source, "1", "probe", 0)];
    }
}

public sealed class PlatformScanningThreeAtOnce : PlatformFixture
{
    public ConcurrencyProbeCheck Probe { get; } = new();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Moderation:ScanParallelism"] = ConcurrencyProbeCheck.Expected.ToString();
        settings["Moderation:ScanBatchSize"] = "10";
    }

    protected override void Customize(HostApplicationBuilder builder) => builder.Services.AddSingleton<IPostCheck>(Probe);
}

public sealed class ParallelScanTests(PlatformScanningThreeAtOnce platform) : IClassFixture<PlatformScanningThreeAtOnce>
{
    [Fact]
    public async Task A_batchs_posts_are_scanned_side_by_side_never_more_at_once_than_the_configured_parallelism()
    {
        var author = await platform.CreateAccountAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add((await platform.SubmitPostAsync(author.Id)).Id);
        }

        var report = await platform.Get<PostScanner>().ScanBatchAsync(default);

        Assert.Equal((10, 10, 0), (report.Leased, report.Published + report.QueuedForReview + report.Rejected, report.Retried));
        Assert.Equal(ConcurrencyProbeCheck.Expected, platform.Probe.Most);
        Assert.Equal(10L, await platform.ScalarAsync<long>(
            "select count(*) from moderation.signals where post_id = any($1) and source = 'test.concurrency'", ids.ToArray()));
    }
}
