using AiSocial.Ingest.Media;
using AiSocial.Testing;

namespace AiSocial.AdminConsole.Tests;

/// <summary>A console node that runs the scheduler with the media sweep every second.</summary>
public sealed class SweepingConsole : ConsoleFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Console:RunScheduler"] = "true";
        settings["Media:SweepInterval"] = "00:00:01";
    }
}

public sealed class MediaSweepJobTests(SweepingConsole console) : IClassFixture<SweepingConsole>
{
    [Fact]
    public async Task The_scheduled_sweep_removes_a_file_no_row_refers_to()
    {
        var store = console.Get<MediaStore>();
        var orphan = store.PathFor(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(TestImages.Png(seed: 5))));
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        await File.WriteAllBytesAsync(orphan, TestImages.Png(seed: 5));
        File.SetLastWriteTimeUtc(orphan, DateTime.UtcNow.AddDays(-1));
        var post = await console.SubmitPostAsync((await console.CreateAccountAsync()).Id);
        File.SetLastWriteTimeUtc(store.PathFor(post.Media.Sha256), DateTime.UtcNow.AddDays(-1));

        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (File.Exists(orphan) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.False(File.Exists(orphan), "The sweep job did not run within two minutes.");
        Assert.True(File.Exists(store.PathFor(post.Media.Sha256)));
    }
}
