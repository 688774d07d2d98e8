using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiSocial.Ingest.Media;

/// <summary>
/// Image files stored by SHA-256 under the media root (<c>ab/cd/abcd…</c>), each with its WebP thumbnail beside it
/// (<c>abcd….thumb.webp</c>). New files are first written, flushed, under <c>.incoming/</c> and moved to their place
/// only inside the transaction that records the media row, so a refused or failed upload never leaves a file where
/// readers look; what a crash leaves behind, <see cref="MediaSweeper"/> removes.
/// </summary>
public sealed partial class MediaStore(IOptions<MediaOptions> options)
{
    internal const string IncomingDirectory = ".incoming";
    internal const string PartialSuffix = ".partial";
    internal const string ThumbnailSuffix = ".thumb.webp";

    private readonly string _root = Path.GetFullPath(options.Value.Root);
    private readonly ImagingEngine _engine = ImagingEngine.For(options.Value.Library);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();

    public static bool IsSha256(string value) => Sha256Pattern().IsMatch(value);

    public string Root => _root;

    internal string IncomingPath => Path.Combine(_root, IncomingDirectory);

    public string PathFor(string sha256) =>
        IsSha256(sha256)
            ? Path.Combine(_root, sha256[..2], sha256[2..4], sha256)
            : throw new ArgumentException("Not a lowercase hex SHA-256.", nameof(sha256));

    public string ThumbnailPathFor(string sha256) => PathFor(sha256) + ThumbnailSuffix;

    public bool Exists(string sha256) => File.Exists(PathFor(sha256));

    /// <summary>Writes the image and its thumbnail under temporary names; nothing reads them until <see cref="StagedMedia.PlaceAsync"/>.</summary>
    public async Task<StagedMedia> StageAsync(InspectedImage image, CancellationToken cancellationToken)
    {
        var temporary = await WriteTemporaryAsync(image.Sha256, image.Bytes, cancellationToken);
        try
        {
            var thumbnail = await WriteTemporaryAsync(image.Sha256, image.Thumbnail, cancellationToken);
            return new StagedMedia(this, image, temporary, thumbnail);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private async Task<string> WriteTemporaryAsync(string sha256, byte[] bytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(IncomingPath);
        var temporary = Path.Combine(IncomingPath, $"{sha256}.{Guid.NewGuid():N}{PartialSuffix}");
        try
        {
            await using var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
            await file.WriteAsync(bytes, cancellationToken);
            file.Flush(flushToDisk: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        return temporary;
    }

    public Stream OpenRead(string sha256) =>
        new FileStream(PathFor(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);

    /// <summary>
    /// The thumbnail of a stored image; one stored before thumbnails were made at ingest gets its thumbnail now (made
    /// from the stored file, written aside and renamed into place, so readers never see half a file). Null when the
    /// image itself is not stored.
    /// </summary>
    public async Task<Stream?> OpenThumbnailAsync(string sha256, CancellationToken cancellationToken)
    {
        var path = ThumbnailPathFor(sha256);
        if (!File.Exists(path))
        {
            if (!Exists(sha256))
            {
                return null;
            }

            var thumbnail = _engine.Thumbnail(await ReadAllBytesAsync(sha256, cancellationToken)).Bytes;
            var temporary = await WriteTemporaryAsync(sha256, thumbnail, cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);
    }

    public async Task<byte[]> ReadAllBytesAsync(string sha256, CancellationToken cancellationToken) =>
        await File.ReadAllBytesAsync(PathFor(sha256), cancellationToken);

    /// <summary>
    /// Serialises placing and sweeping one hash: a transaction that records media holds this shared, the sweep holds it
    /// exclusively while it decides a file has no row, so it can never remove a file a committing upload just placed.
    /// </summary>
    internal static async Task LockAsync(NpgsqlConnection connection, string sha256, bool exclusive, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            exclusive ? "select pg_advisory_xact_lock($1, $2)" : "select pg_advisory_xact_lock_shared($1, $2)", connection);
        command.Parameters.Add(new() { Value = LockSpace });
        command.Parameters.Add(new() { Value = BinaryPrimitives.ReadInt32BigEndian(Convert.FromHexString(sha256.AsSpan(0, 8))) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // "MDIA": the media store's space of advisory locks.
    private const int LockSpace = 0x4D444941;
}

/// <summary>
/// An image and its thumbnail written under temporary names. Disposing it removes the temporary files unless they
/// were placed.
/// </summary>
public sealed class StagedMedia : IDisposable
{
    private readonly MediaStore _store;
    private readonly InspectedImage _image;
    private string? _temporary;
    private string? _temporaryThumbnail;

    internal StagedMedia(MediaStore store, InspectedImage image, string temporary, string temporaryThumbnail)
    {
        _store = store;
        _image = image;
        _temporary = temporary;
        _temporaryThumbnail = temporaryThumbnail;
    }

    public string Sha256 => _image.Sha256;

    /// <summary>
    /// Records the media row: what the pipeline learnt (size, PDQ hash, placeholder, frames; a row stored before these
    /// existed gets them now). Call it in the transaction that records the post, before the post's insert.
    /// </summary>
    public async Task RecordAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            insert into ingest.media (sha256, content_type, width, height, byte_size, pdq_hash, pdq_quality, placeholder, frame_count, pdq_dihedral)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            on conflict (sha256) do update set
                pdq_hash = coalesce(media.pdq_hash, excluded.pdq_hash),
                pdq_dihedral = coalesce(media.pdq_dihedral, excluded.pdq_dihedral),
                pdq_quality = coalesce(media.pdq_quality, excluded.pdq_quality),
                placeholder = coalesce(media.placeholder, excluded.placeholder)
            """, connection);
        command.Parameters.Add(new() { Value = _image.Sha256 });
        command.Parameters.Add(new() { Value = _image.ContentType });
        command.Parameters.Add(new() { Value = _image.Width });
        command.Parameters.Add(new() { Value = _image.Height });
        command.Parameters.Add(new() { Value = (long)_image.Bytes.Length });
        command.Parameters.Add(new() { Value = Convert.FromHexString(_image.Pdq.Hash.ToHex()) });
        command.Parameters.Add(new() { Value = _image.Pdq.Quality });
        command.Parameters.Add(new() { Value = (object?)_image.Placeholder ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = _image.Frames });
        command.Parameters.Add(new()
        {
            Value = _image.PdqDihedral.Count == 0 ? DBNull.Value : _image.PdqDihedral.SelectMany(h => Convert.FromHexString(h.ToHex())).ToArray(),
            NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea,
        });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Moves the image and its thumbnail to their place. Call it inside the transaction that records the media row,
    /// after the inserts and before the commit: should the commit then fail, the files are ones no row refers to, and
    /// the sweep removes them.
    /// </summary>
    public async Task PlaceAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var temporary = _temporary ?? throw new InvalidOperationException("The image was already placed or discarded.");
        await MediaStore.LockAsync(connection, Sha256, exclusive: false, cancellationToken);
        var path = _store.PathFor(Sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Same content under the same name: replacing an existing copy is harmless, and a rename is atomic.
        File.Move(temporary, path, overwrite: true);
        _temporary = null;
        if (_temporaryThumbnail is { } thumbnail)
        {
            File.Move(thumbnail, _store.ThumbnailPathFor(Sha256), overwrite: true);
            _temporaryThumbnail = null;
        }
    }

    public void Dispose()
    {
        foreach (var temporary in new[] { _temporary, _temporaryThumbnail })
        {
            if (temporary is not null)
            {
                File.Delete(temporary);
            }
        }

        _temporary = _temporaryThumbnail = null;
    }
}
