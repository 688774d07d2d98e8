using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace AiSocial.Cli;

/// <summary>Why a pull stopped: a one-line message for the person running it.</summary>
internal sealed class PullFailedException(string message) : Exception(message);

/// <summary>
/// Downloads a published run of a dataset from the console's <c>/api/v1/datasets</c>: its manifest first, then every file
/// it lists. A file already there whole is kept; a shorter one (an interrupted download) is continued with a
/// <c>Range</c> request from its length, guarded by <c>If-Range</c> with the file's SHA-256 so a changed file starts
/// over. Every file's size and SHA-256 are checked against the manifest; <c>manifest.json</c> is written last, so a
/// directory holding it is complete.
/// </summary>
internal sealed class DatasetPull(HttpClient http, TextWriter output, TextWriter progress, bool interactive)
{
    private sealed record ManifestFile(string Path, long Bytes, string Sha256);

    /// <summary>The newest succeeded run of the dataset, when none is named.</summary>
    public async Task<Guid> LatestRunAsync(string dataset, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"api/v1/datasets/{Uri.EscapeDataString(dataset)}/runs"), cancellationToken);
        var runs = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        foreach (var run in runs.EnumerateArray())
        {
            if (run.GetProperty("status").GetString() == "succeeded")
            {
                return run.GetProperty("runId").GetGuid();
            }
        }

        throw new PullFailedException($"Dataset '{dataset}' has no succeeded run yet; start one with POST /api/v1/datasets/{dataset}/runs.");
    }

    public async Task PullAsync(string dataset, Guid runId, string directory, CancellationToken cancellationToken)
    {
        var run = $"api/v1/datasets/{Uri.EscapeDataString(dataset)}/runs/{runId}/files/";
        using var manifestResponse = await SendAsync(new HttpRequestMessage(HttpMethod.Get, run + "manifest.json"), cancellationToken);
        var manifestBytes = await manifestResponse.Content.ReadAsByteArrayAsync(cancellationToken);
        var files = ReadFiles(manifestBytes);
        Directory.CreateDirectory(directory);
        var root = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
        await output.WriteLineAsync($"Pulling dataset '{dataset}' run {runId}: {files.Count} file(s), {Mib(files.Sum(f => f.Bytes))} MiB into {directory}");
        foreach (var file in files)
        {
            var path = Path.GetFullPath(Path.Combine(root, file.Path));
            if (!path.StartsWith(root, StringComparison.Ordinal))
            {
                throw new PullFailedException($"The manifest names '{file.Path}', which leaves {directory}; nothing of it was written.");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await DownloadAsync(run + string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString)), file, path, cancellationToken);
        }

        var manifestPath = Path.Combine(directory, "manifest.json");
        await File.WriteAllBytesAsync(manifestPath + ".partial", manifestBytes, cancellationToken);
        File.Move(manifestPath + ".partial", manifestPath, overwrite: true);
        await output.WriteLineAsync($"All {files.Count} file(s) match the manifest's sizes and SHA-256.");
    }

    private async Task DownloadAsync(string url, ManifestFile file, string path, CancellationToken cancellationToken)
    {
        var have = File.Exists(path) ? new FileInfo(path).Length : 0;
        if (have == file.Bytes && await Sha256Async(path, cancellationToken) == file.Sha256)
        {
            await output.WriteLineAsync($"ok    {file.Path} (already here)");
            return;
        }

        if (have >= file.Bytes)
        {
            // Whole but wrong, or longer than it should be: nothing of it can be trusted.
            have = 0;
        }

        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
            request.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue($"\"{file.Sha256}\""));
        }

        using var response = await SendAsync(request, cancellationToken);
        var resumed = response.StatusCode == HttpStatusCode.PartialContent;
        if (have > 0)
        {
            await output.WriteLineAsync(resumed
                ? $"resume {file.Path} from byte {have}"
                : $"restart {file.Path}: the server sent the whole file");
        }

        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var target = new FileStream(path, resumed ? FileMode.Open : FileMode.Create, FileAccess.ReadWrite))
        {
            if (resumed)
            {
                // The bytes already here are part of the checksum.
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await target.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    sha256.AppendData(buffer, 0, read);
                }
            }
            else
            {
                have = 0;
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var bar = new TransferBar(progress, interactive, file.Path, file.Bytes, have);
            var chunk = new byte[1 << 16];
            int n;
            while ((n = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                await target.WriteAsync(chunk.AsMemory(0, n), cancellationToken);
                sha256.AppendData(chunk, 0, n);
                bar.Add(n);
            }

            bar.Finish();
            await target.FlushAsync(cancellationToken);
        }

        var length = new FileInfo(path).Length;
        var actual = Convert.ToHexStringLower(sha256.GetHashAndReset());
        if (length != file.Bytes || actual != file.Sha256)
        {
            File.Delete(path);
            throw new PullFailedException($"{file.Path} arrived as {length} bytes with SHA-256 {actual[..12]}…; the manifest says {file.Bytes} bytes, " +
                $"{file.Sha256[..12]}…. It was deleted; pull again.");
        }

        await output.WriteLineAsync($"ok    {file.Path}  {file.Bytes} bytes  sha256 {file.Sha256}");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                var detail = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                    && (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).TryGetProperty("detail", out var d)
                        ? d.GetString()
                        : response.ReasonPhrase;
                throw new PullFailedException($"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {detail}");
            }
        }
    }

    private static List<ManifestFile> ReadFiles(byte[] manifest)
    {
        using var document = JsonDocument.Parse(manifest);
        return [.. document.RootElement.GetProperty("files").EnumerateArray()
            .Select(f => new ManifestFile(f.GetProperty("path").GetString()!, f.GetProperty("bytes").GetInt64(), f.GetProperty("sha256").GetString()!))];
    }

    private static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    internal static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One file's transfer: an updating line on a terminal (bytes, share, MiB/s), a line per file otherwise.</summary>
    private sealed class TransferBar(TextWriter writer, bool interactive, string name, long total, long start)
    {
        private const int Width = 24;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly long _start = start;
        private long _done = start;
        private TimeSpan _lastDrawn = TimeSpan.MinValue;

        public void Add(long bytes)
        {
            _done += bytes;
            if (interactive && _clock.Elapsed - _lastDrawn > TimeSpan.FromMilliseconds(100))
            {
                Draw();
            }
        }

        public void Finish()
        {
            if (interactive)
            {
                Draw();
                writer.WriteLine();
            }
            else
            {
                writer.WriteLine($"{name}: {Mib(_done - _start)} MiB at {Rate()} MiB/s");
            }
        }

        private string Rate() => ((_done - _start) / 1048576.0 / Math.Max(_clock.Elapsed.TotalSeconds, 1e-3)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

        private void Draw()
        {
            _lastDrawn = _clock.Elapsed;
            var fraction = total == 0 ? 1 : Math.Clamp((double)_done / total, 0, 1);
            var filled = (int)Math.Round(fraction * Width);
            writer.Write($"\r{name} [{new string('#', filled)}{new string('.', Width - filled)}] {fraction * 100,3:0}% {Mib(_done)}/{Mib(total)} MiB {Rate()} MiB/s   ");
        }
    }
}
