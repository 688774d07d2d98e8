using System.Security.Cryptography;
using System.Text.Json;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Database;
using AiSocial.Problems;

namespace AiSocial.Export.Storage;

/// <summary>
/// A file of a published run, open for reading. <see cref="Content"/> is seekable and knows its length, so a range is
/// served by seeking; <see cref="Sha256"/> (the manifest's) and <see cref="PublishedAt"/> (the run's end) are the same on
/// every node, whether the file comes from a directory or from the Blob container.
/// </summary>
public sealed record RunFile(string RelativePath, Stream Content, string Sha256, DateTimeOffset PublishedAt) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>
/// The files of published runs: from the run's directory when this node has it, else from the Blob container when one is
/// configured (a run another node published, or whose directory is gone). Only <c>manifest.json</c> and the files its
/// manifest lists are opened, matched exactly, so no other path, and none leaving the run, is ever read.
/// </summary>
public sealed class RunFiles
{
    private readonly ExportRuns _runs;
    private readonly BlobRunStore? _blobs;

    internal RunFiles(ExportRuns runs, BlobRunStore? blobs)
    {
        _runs = runs;
        _blobs = blobs;
    }

    public async Task<Outcome<RunFile>> OpenAsync(string dataset, Guid runId, string relativePath, CancellationToken cancellationToken)
    {
        var run = await _runs.FindRunAsync(dataset, runId, cancellationToken);
        if (run is null)
        {
            return await _runs.RunNotFoundAsync(dataset, runId, cancellationToken);
        }

        if (run.Status != ExportRunStatus.Succeeded || run.ManifestJson is null)
        {
            return new Refusal(ExportProblems.RunNotPublished, $"Run {runId} is {run.Status.ToDatabase()}: only a succeeded run has files to download.");
        }

        var listed = relativePath == ExportManifest.FileName ? null : ListedSha256(run.ManifestJson, relativePath);
        if (relativePath != ExportManifest.FileName && listed is null)
        {
            return ExportRuns.FileNotFound(runId, relativePath);
        }

        var content = OpenLocal(run.Output, relativePath)
                      ?? (_blobs is null ? null : await _blobs.OpenReadAsync(dataset, runId, relativePath, cancellationToken));
        if (content is null)
        {
            return ExportRuns.FileNotFound(runId, relativePath);
        }

        try
        {
            // manifest.json does not list itself; it is small, so its checksum is taken when asked for.
            var sha256 = listed ?? Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken));
            content.Position = 0;
            return new RunFile(relativePath, content, sha256, run.FinishedAt ?? run.StartedAt);
        }
        catch
        {
            await content.DisposeAsync();
            throw;
        }
    }

    private static string? ListedSha256(string manifestJson, string relativePath)
    {
        using var manifest = JsonDocument.Parse(manifestJson);
        return manifest.RootElement.GetProperty("files").EnumerateArray()
            .Where(file => file.GetProperty("path").GetString() == relativePath)
            .Select(file => file.GetProperty("sha256").GetString())
            .FirstOrDefault();
    }

    /// <summary>The file in the run's directory on this node, or null when this node does not have it.</summary>
    private static FileStream? OpenLocal(string output, string relativePath)
    {
        var directory = Path.GetFullPath(output);
        var fullPath = Path.GetFullPath(Path.Combine(directory, relativePath));
        if (!fullPath.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
