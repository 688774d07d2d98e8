using System.Diagnostics;
using System.Net;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AiSocial.AdminConsole.Tests;

/// <summary>
/// Metrics are read by meter name across the process, so these tests run alone: no other host's posts are counted.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry, alone";
}

/// <summary>A console node whose metrics and traces also go to in-memory exporters.</summary>
public sealed class TelemetryFixture : ConsoleFixture
{
    private BaseExportingMetricReader? _reader;

    public List<Metric> Metrics { get; } = [];

    public List<Activity> Activities { get; } = [];

    protected override void ConfigureServices(IServiceCollection services)
    {
        _reader = new BaseExportingMetricReader(new InMemoryExporter<Metric>(Metrics));
        services.ConfigureOpenTelemetryMeterProvider(meters => meters.AddReader(_reader));
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Activities));
    }

    /// <summary>Collects every instrument now and returns the points of <paramref name="name"/> by their tags.</summary>
    public IReadOnlyList<(IReadOnlyDictionary<string, object?> Tags, double Value)> Read(string name)
    {
        Metrics.Clear();
        Assert.True(_reader!.Collect(10_000));
        var points = new List<(IReadOnlyDictionary<string, object?>, double)>();
        foreach (var metric in Metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var tags = new Dictionary<string, object?>();
                foreach (var tag in point.Tags)
                {
                    tags[tag.Key] = tag.Value;
                }

                double value = metric.MetricType switch
                {
                    MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
                    MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
                    MetricType.LongGauge => point.GetGaugeLastValueLong(),
                    MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
                    MetricType.Histogram => point.GetHistogramCount(),
                    _ => double.NaN,
                };
                points.Add((tags, value));
            }
        }

        return points;
    }

    public double Sum(string name, string? tag = null, object? value = null) =>
        Read(name).Where(p => tag is null || Equals(p.Tags.GetValueOrDefault(tag), value)).Sum(p => p.Value);
}

[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests(TelemetryFixture console) : IClassFixture<TelemetryFixture>
{
    [Fact]
    public async Task A_post_is_counted_as_it_is_submitted_scanned_published_and_exported_and_each_step_is_traced()
    {
        var author = await console.CreateAccountAsync();
        var moderator = await console.CreateAccountAsync(Roles.Moderator);
        _ = (await console.Get<ConsentLedger>().RecordAsync(new Actor(author.Id, author.Handle), author.Id,
            new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default)).Value;
        _ = (await console.Get<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec { Name = "telemetry", Description = "test" }, default)).Value;

        await console.HoldEveryPostAsync();
        var post = await console.SubmitPostAsync(author.Id);
        await console.Get<PostScanner>().ScanUntilIdleAsync(default);
        Assert.Equal(1, console.Sum("aisocial.review.queue.depth"));
        Assert.Single(console.Read("aisocial.review.queue.oldest_age"), p => p.Value >= 0);
        var task = Assert.Single((await console.Get<ReviewQueue>().ListOpenAsync(0, 10, default)).Items);
        _ = (await console.Get<ReviewQueue>().DecideAsync(task.TaskId, new Actor(moderator.Id, moderator.Handle), ReviewDecision.Approve, true, null,
            default)).Value;
        var output = Path.Combine(Directory.CreateTempSubdirectory("aisocial-telemetry-").FullName, "out");
        _ = (await console.Get<ExportRunner>().RunAsync("telemetry", Actor.System("test"), ExportRunKind.Full, output, null, default)).Value;

        Assert.Equal(1, console.Sum("aisocial.posts.submitted"));
        Assert.Equal(1, console.Sum("aisocial.posts.scanned", "outcome", "review"));
        Assert.Equal(1, console.Sum("aisocial.posts.published", "by", "review"));
        Assert.Equal(0, console.Sum("aisocial.posts.rejected"));
        var checks = console.Read("aisocial.scan.check.duration");
        Assert.Contains(checks, p => Equals(p.Tags["check"], "nsfw") && Equals(p.Tags["available"], true) && p.Value == 1);
        Assert.Contains(checks, p => Equals(p.Tags["check"], "ocr"));
        Assert.Equal(1, console.Sum("aisocial.export.rows", "dataset", "telemetry"));
        Assert.True(console.Sum("aisocial.export.bytes", "dataset", "telemetry") > 0);

        Assert.True(console.Get<TracerProvider>().ForceFlush(10_000));
        Assert.Contains(console.Activities, a => a.Source.Name == "AiSocial.Ingest" && a.DisplayName == "submit post");
        Assert.Contains(console.Activities, a => a.Source.Name == "AiSocial.Moderation" && a.DisplayName == "scan post"
                                                 && Equals(a.GetTagItem("aisocial.post.id"), post.Id));
        Assert.Contains(console.Activities, a => a.Source.Name == "AiSocial.Export" && a.DisplayName == "export run");
        Assert.Contains(console.Activities, a => a.Source.Name == "Npgsql");
    }

    [Fact]
    public async Task The_console_serves_the_platforms_meters_to_a_Prometheus_scraper()
    {
        await console.Browser().GetAsync("/signin");

        var response = await console.Browser().GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("aisocial_review_queue_depth", text);
        Assert.Contains("http_server_request_duration_seconds", text);
        Assert.Contains("dotnet_assembly_count", text);
    }
}
