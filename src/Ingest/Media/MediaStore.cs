using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiSocial.Ingest.Media;

/// <summary>
/// Image files stored by SHA-256 under the media root (<c>ab/cd/abcd…</c>). A new file is first written, flushed,
/// under <c>.incoming/</c> and moved to its place only inside the transaction that records it, so a refused or failed
/// upload never leaves a file where readers look; what a crash leaves behind, <see cref="MediaSweeper"/> removes.
/// </summary>
public sealed partial class MediaStore(IOptions<MediaOptions> options)
{
    internal const string IncomingDirectory = ".incoming";
    internal const string PartialSuffix = ".partial";

    private readonly string _root = Path.GetFullPath(options.Value.Root);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();

    public static bool IsSha256(string value) => Sha256Pattern().IsMatch(value);

    public string Root => _root;

    internal string IncomingPath => Path.Combine(_root, IncomingDirectory);

    public string PathFor(string sha256) =>
        IsSha256(sha256)
            ? Path.Combine(_root, sha256[..2], sha256[2..4], sha256)
            : throw new ArgumentException("Not a lowercase hex SHA-256.", nameof(sha256));

    public bool Exists(string sha256) => File.Exists(PathFor(sha256));

    /// <summary>Writes the image under a temporary name; nothing reads it until <see cref="StagedMedia.PlaceAsync"/>.</summary>
    public async Task<StagedMedia> StageAsync(InspectedImage image, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(IncomingPath);
        var temporary = Path.Combine(IncomingPath, $"{image.Sha256}.{Guid.NewGuid():N}{PartialSuffix}");
        try
        {
            await using var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
            await file.WriteAsync(image.Bytes, cancellationToken);
            file.Flush(flushToDisk: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        return new StagedMedia(this, image.Sha256, temporary);
    }

    public Stream OpenRead(string sha256) =>
        new FileStream(PathFor(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);

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

/// <summary>An image written under a temporary name. Disposing it removes the temporary file unless it was placed.</summary>
public sealed class StagedMedia : IDisposable
{
    private readonly MediaStore _store;
    private string? _temporary;

    internal StagedMedia(MediaStore store, string sha256, string temporary)
    {
        _store = store;
        Sha256 = sha256;
        _temporary = temporary;
    }

    public string Sha256 { get; }

    /// <summary>
    /// Moves the file to its place. Call it inside the transaction that inserts the media row, after the inserts and
    /// before the commit: should the commit then fail, the file is one no row refers to, and the sweep removes it.
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
    }

    public void Dispose()
    {
        if (_temporary is { } temporary)
        {
            File.Delete(temporary);
            _temporary = null;
        }
    }
}
