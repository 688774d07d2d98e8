using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiSocial.Ingest.Media;

/// <summary>What one sweep of the media root removed and kept.</summary>
public sealed record MediaSweep(int TemporariesRemoved, int UnreferencedRemoved, int FilesKept, int RowsWithoutFile);

/// <summary>
/// Removes what no row refers to: temporary files older than <see cref="MediaOptions.StrayFileGrace"/> (an upload
/// that failed or a process that died mid-upload) and stored files (images and their thumbnails) without a media row. Files younger than the grace
/// period are left alone, so an upload in flight is never disturbed. Rows whose file is missing are counted and logged:
/// that is lost data, which the sweep cannot repair.
/// </summary>
public sealed class MediaSweeper(
    NpgsqlDataSource dataSource, MediaStore store, IOptions<MediaOptions> options, TimeProvider clock, ILogger<MediaSweeper> logger)
{
    private const int BatchSize = 1000;

    public async Task<MediaSweep> SweepAsync(CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime - options.Value.StrayFileGrace;
        var temporaries = RemoveStaleTemporaries(cutoff);

        int removed = 0, kept = 0;
        foreach (var batch in StoredFiles().Chunk(BatchSize))
        {
            var swept = await SweepBatchAsync(batch, cutoff, cancellationToken);
            removed += swept.Removed;
            kept += swept.Kept;
        }

        var missing = await CountRowsWithoutFileAsync(cancellationToken);
        var sweep = new MediaSweep(temporaries, removed, kept, missing);
        if (sweep.TemporariesRemoved + sweep.UnreferencedRemoved > 0)
        {
            logger.LogInformation("Media sweep removed {Temporaries} temporary and {Unreferenced} unreferenced files; {Kept} kept",
                sweep.TemporariesRemoved, sweep.UnreferencedRemoved, sweep.FilesKept);
        }

        if (sweep.RowsWithoutFile > 0)
        {
            logger.LogError("{Missing} media rows have no file under {Root}; their posts cannot be shown or checked", missing, store.Root);
        }

        return sweep;
    }

    private int RemoveStaleTemporaries(DateTime cutoff)
    {
        if (!Directory.Exists(store.IncomingPath))
        {
            return 0;
        }

        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(store.IncomingPath))
        {
            if (File.GetLastWriteTimeUtc(file) < cutoff && TryDelete(file))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Every file in the <c>ab/cd/</c> layout, whatever its name; a name that is not a hash has no row by definition.</summary>
    private IEnumerable<string> StoredFiles()
    {
        if (!Directory.Exists(store.Root))
        {
            yield break;
        }

        foreach (var first in Directory.EnumerateDirectories(store.Root).Where(d => IsPrefix(d)))
        {
            foreach (var second in Directory.EnumerateDirectories(first).Where(d => IsPrefix(d)))
            {
                foreach (var file in Directory.EnumerateFiles(second))
                {
                    yield return file;
                }
            }
        }

        static bool IsPrefix(string directory) =>
            Path.GetFileName(directory) is { Length: 2 } name && name.All(char.IsAsciiHexDigitLower);
    }

    private async Task<(int Removed, int Kept)> SweepBatchAsync(string[] files, DateTime cutoff, CancellationToken cancellationToken)
    {
        var referenced = await ReferencedAsync(files.Select(ImageName).Where(MediaStore.IsSha256).Distinct().ToArray(), cancellationToken);
        int removed = 0, kept = 0;
        foreach (var file in files)
        {
            var name = ImageName(file);
            if (referenced.Contains(name) || File.GetLastWriteTimeUtc(file) >= cutoff)
            {
                kept++;
            }
            else if (await RemoveUnreferencedAsync(file, name, cancellationToken))
            {
                removed++;
            }
        }

        return (removed, kept);
    }

    /// <summary>The image a file belongs to: its own name, or for a thumbnail the name of its image.</summary>
    private static string ImageName(string file)
    {
        var name = Path.GetFileName(file);
        return name.EndsWith(MediaStore.ThumbnailSuffix, StringComparison.Ordinal) ? name[..^MediaStore.ThumbnailSuffix.Length] : name;
    }

    private async Task<HashSet<string>> ReferencedAsync(string[] hashes, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select sha256 from ingest.media where sha256 = any($1)");
        command.Parameters.Add(new() { Value = hashes });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            referenced.Add(reader.GetString(0));
        }

        return referenced;
    }

    /// <summary>Removes the file unless, under the hash's lock, a row for it has appeared since the batch was read.</summary>
    private async Task<bool> RemoveUnreferencedAsync(string file, string name, CancellationToken cancellationToken)
    {
        if (!MediaStore.IsSha256(name))
        {
            return TryDelete(file);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await MediaStore.LockAsync(connection, name, exclusive: true, cancellationToken);
        await using var command = new NpgsqlCommand("select exists (select 1 from ingest.media where sha256 = $1)", connection);
        command.Parameters.Add(new() { Value = name });
        var removed = !(bool)(await command.ExecuteScalarAsync(cancellationToken))! && TryDelete(file);
        await transaction.CommitAsync(cancellationToken);
        return removed;
    }

    private async Task<int> CountRowsWithoutFileAsync(CancellationToken cancellationToken)
    {
        var missing = 0;
        await using var command = dataSource.CreateCommand("select sha256 from ingest.media");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!store.Exists(reader.GetString(0)))
            {
                missing++;
            }
        }

        return missing;
    }

    private bool TryDelete(string file)
    {
        try
        {
            File.Delete(file);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(exception, "Media sweep could not remove {File}", file);
            return false;
        }
    }
}
