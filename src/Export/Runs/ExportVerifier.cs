using System.Security.Cryptography;

namespace AiSocial.Export.Runs;

public sealed record VerifiedFile(string Path, bool Ok, string Problem);

/// <summary>Checks a downloaded export against its manifest: every file present, with the size and SHA-256 it names.</summary>
public static class ExportVerifier
{
    public static async Task<IReadOnlyList<VerifiedFile>> VerifyAsync(string directory, CancellationToken cancellationToken)
    {
        var manifest = await ExportManifest.ReadAsync(directory, cancellationToken);
        var results = new List<VerifiedFile>();
        foreach (var file in manifest.Files)
        {
            var path = Path.GetFullPath(Path.Combine(directory, file.Path));
            if (!path.StartsWith(Path.GetFullPath(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                results.Add(new VerifiedFile(file.Path, false, "path leaves the export directory"));
                continue;
            }

            if (!File.Exists(path))
            {
                results.Add(new VerifiedFile(file.Path, false, "missing"));
                continue;
            }

            var length = new FileInfo(path).Length;
            if (length != file.Bytes)
            {
                results.Add(new VerifiedFile(file.Path, false, $"size {length} bytes, manifest says {file.Bytes}"));
                continue;
            }

            await using var stream = File.OpenRead(path);
            var sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
            results.Add(sha256 == file.Sha256
                ? new VerifiedFile(file.Path, true, "")
                : new VerifiedFile(file.Path, false, $"SHA-256 {sha256[..12]}…, manifest says {file.Sha256[..12]}…"));
        }

        return results;
    }
}
