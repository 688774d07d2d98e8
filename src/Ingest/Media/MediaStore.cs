using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace AiSocial.Ingest.Media;

/// <summary>Image files stored by SHA-256 under the media root (<c>ab/cd/abcd…</c>), written atomically.</summary>
public sealed partial class MediaStore(IOptions<MediaOptions> options)
{
    private readonly string _root = Path.GetFullPath(options.Value.Root);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();

    public static bool IsSha256(string value) => Sha256Pattern().IsMatch(value);

    public string PathFor(string sha256) =>
        IsSha256(sha256)
            ? Path.Combine(_root, sha256[..2], sha256[2..4], sha256)
            : throw new ArgumentException("Not a lowercase hex SHA-256.", nameof(sha256));

    public bool Exists(string sha256) => File.Exists(PathFor(sha256));

    public async Task SaveAsync(InspectedImage image, CancellationToken cancellationToken)
    {
        var path = PathFor(image.Sha256);
        if (File.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await file.WriteAsync(image.Bytes, cancellationToken);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public Stream OpenRead(string sha256) =>
        new FileStream(PathFor(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);

    public async Task<byte[]> ReadAllBytesAsync(string sha256, CancellationToken cancellationToken) =>
        await File.ReadAllBytesAsync(PathFor(sha256), cancellationToken);
}
