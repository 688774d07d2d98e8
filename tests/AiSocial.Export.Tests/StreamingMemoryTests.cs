using AiSocial.Testing;
using Xunit.Abstractions;

namespace AiSocial.Export.Tests;

public sealed class StreamingFixture : PlatformFixture
{
    public const int Posts = 640;
    public const int ImageBytes = 256 * 1024;

    protected override async Task StartAsync()
    {
        await base.StartAsync();
        var world = new WriterWorld(this);
        var author = await world.ConsentingAuthorAsync();
        var random = new Random(12);
        var image = new byte[ImageBytes];
        for (var i = 0; i < Posts; i++)
        {
            // Incompressible and each different, so every row is written and the output is as large as its images.
            random.NextBytes(image);
            await world.PostAsync(author, await world.MediaAsync(image), $"post {i}");
        }
    }
}

/// <summary>
/// Peak RSS is the whole process's: this class runs alone, after the classes that run in parallel, so their allocations
/// are not counted as the export's (with them it once measured 85 MiB of growth against an 80 MiB bound).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasured
{
    public const string Name = "memory measured alone";
}

[Collection(MemoryMeasured.Name)]
public sealed class StreamingMemoryTests(StreamingFixture platform, ITestOutputHelper log) : IClassFixture<StreamingFixture>
{
    [Fact]
    public async Task An_export_of_many_row_groups_keeps_memory_flat_whatever_its_size()
    {
        var world = new WriterWorld(platform);
        var spec = await world.DatasetAsync(s => s with { RowGroupMb = 1, ShardSizeMb = 16 });
        // Code loaded and compiled on first use is not the data's memory: a run that writes nothing loads it first.
        await world.WriteAsync(spec with { Filters = new() { Tags = ["no_such_tag"] } });
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var before = Environment.WorkingSet;

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var written = await world.WriteAsync(spec);
        watch.Stop();

        var output = written.Result.Files.Sum(f => f.Bytes);
        Assert.Equal(StreamingFixture.Posts, written.Result.RowsWritten);
        Assert.True(output > StreamingFixture.Posts * (long)StreamingFixture.ImageBytes, $"{output} bytes written");
        Assert.True(written.Result.Files.Count > 3, $"{written.Result.Files.Count} shards");
        // Holding the rows would take at least the output; a row group per split and a few rows in flight take a fraction.
        var growth = written.Result.PeakRssBytes - before;
        log.WriteLine($"peak RSS {written.Result.PeakRssBytes / (1024 * 1024)} MiB, grew {growth / (1024 * 1024)} MiB writing {output / (1024 * 1024)} MiB in {written.Result.Files.Count} shards in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(growth < output / 2, $"peak RSS grew {growth / (1024 * 1024)} MiB writing {output / (1024 * 1024)} MiB");
    }
}
