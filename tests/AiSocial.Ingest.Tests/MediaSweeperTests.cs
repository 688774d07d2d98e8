using AiSocial.Ingest.Media;
using AiSocial.Testing;
using Npgsql;

namespace AiSocial.Ingest.Tests;

public sealed class MediaSweeperTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private MediaStore Store => platform.Get<MediaStore>();

    private static readonly DateTime LongAgo = DateTime.UtcNow.AddDays(-2);

    private string WriteFile(string path, DateTime? modified = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, TestImages.Png());
        File.SetLastWriteTimeUtc(path, modified ?? DateTime.UtcNow);
        return path;
    }

    private static string RandomSha256() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray());

    [Fact]
    public async Task Removes_stale_temporaries_and_unreferenced_files_and_keeps_everything_else()
    {
        var author = await platform.CreateAccountAsync();
        var post = await platform.SubmitPostAsync(author.Id);
        var referenced = Store.PathFor(post.Media.Sha256);
        File.SetLastWriteTimeUtc(referenced, LongAgo);
        var incoming = Path.Combine(Store.Root, ".incoming");
        var staleTemporary = WriteFile(Path.Combine(incoming, $"{RandomSha256()}.{Guid.NewGuid():N}.partial"), LongAgo);
        var freshTemporary = WriteFile(Path.Combine(incoming, $"{RandomSha256()}.{Guid.NewGuid():N}.partial"));
        var staleOrphan = WriteFile(Store.PathFor(RandomSha256()), LongAgo);
        var freshOrphan = WriteFile(Store.PathFor(RandomSha256()));
        var strayName = WriteFile(Path.Combine(Path.GetDirectoryName(referenced)!, "notes.txt"), LongAgo);
        var outsideTheLayout = WriteFile(Path.Combine(Store.Root, "README"), LongAgo);

        var sweep = await platform.Get<MediaSweeper>().SweepAsync(default);

        Assert.Equal((1, 2, 0), (sweep.TemporariesRemoved, sweep.UnreferencedRemoved, sweep.RowsWithoutFile));
        Assert.All(new[] { staleTemporary, staleOrphan, strayName }, path => Assert.False(File.Exists(path), path));
        Assert.All(new[] { referenced, freshTemporary, freshOrphan, outsideTheLayout }, path => Assert.True(File.Exists(path), path));
        Assert.Equal(post.Media.Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(referenced))));
        File.Delete(freshTemporary);
        File.Delete(freshOrphan);
    }

    [Fact]
    public async Task A_thumbnail_lives_and_goes_with_its_image()
    {
        var author = await platform.CreateAccountAsync();
        var post = await platform.SubmitPostAsync(author.Id, TestImages.Png(seed: 79));
        var thumbnail = Store.ThumbnailPathFor(post.Media.Sha256);
        File.SetLastWriteTimeUtc(thumbnail, LongAgo);
        var orphanSha256 = RandomSha256();
        var orphan = WriteFile(Store.PathFor(orphanSha256), LongAgo);
        var orphanThumbnail = WriteFile(Store.ThumbnailPathFor(orphanSha256), LongAgo);

        var sweep = await platform.Get<MediaSweeper>().SweepAsync(default);

        Assert.True(File.Exists(thumbnail));
        Assert.False(File.Exists(orphan));
        Assert.False(File.Exists(orphanThumbnail));
        Assert.True(sweep.UnreferencedRemoved >= 2);
    }

    [Fact]
    public async Task A_row_whose_file_is_gone_is_counted_not_hidden()
    {
        var author = await platform.CreateAccountAsync();
        var post = await platform.SubmitPostAsync(author.Id);
        var stored = await File.ReadAllBytesAsync(Store.PathFor(post.Media.Sha256));
        File.Delete(Store.PathFor(post.Media.Sha256));
        try
        {
            Assert.Equal(1, (await platform.Get<MediaSweeper>().SweepAsync(default)).RowsWithoutFile);
        }
        finally
        {
            await File.WriteAllBytesAsync(Store.PathFor(post.Media.Sha256), stored);
        }
    }

    [Fact]
    public async Task A_file_placed_by_a_transaction_not_yet_committed_survives_a_sweep()
    {
        // An old copy of the file lies unreferenced, and an upload of the same image is placing it right now.
        var image = (await platform.Get<ImageInspector>().InspectAsync(new MemoryStream(TestImages.Png(seed: 77)), default)).Value;
        var path = Store.PathFor(image.Sha256);
        using var staged = await Store.StageAsync(image, default);
        await using var connection = await platform.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            "insert into ingest.media (sha256, content_type, width, height, byte_size) values ($1, 'image/png', 64, 48, 1)", connection))
        {
            insert.Parameters.Add(new() { Value = image.Sha256 });
            await insert.ExecuteNonQueryAsync();
        }

        await staged.PlaceAsync(connection, default);
        File.SetLastWriteTimeUtc(path, LongAgo);

        // The sweep sees no committed row; it must wait for the upload's lock rather than remove the file under it.
        var sweep = Task.Run(() => platform.Get<MediaSweeper>().SweepAsync(default));
        while (!sweep.IsCompleted && await platform.ScalarAsync<long>(
            """
            select count(*) from pg_locks
            where locktype = 'advisory' and not granted and classid = x'4D444941'::int::oid
              and database = (select oid from pg_database where datname = current_database())
            """) == 0)
        {
            await Task.Delay(20);
        }

        Assert.False(sweep.IsCompleted, "The sweep finished without waiting for the upload's transaction.");
        await transaction.CommitAsync();

        Assert.Equal(0, (await sweep).UnreferencedRemoved);
        Assert.True(File.Exists(path));
    }
}
