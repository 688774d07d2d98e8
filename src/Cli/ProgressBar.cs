using AiSocial.Export.Runs;
using AiSocial.Export.Writing;

namespace AiSocial.Cli;

/// <summary>A one-line progress bar on a terminal; plain periodic lines when output is redirected.</summary>
public sealed class ProgressBar(TextWriter writer) : IDisposable
{
    private const int Width = 30;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private DateTime _lastPrinted = DateTime.MinValue;
    private bool _drawn;

    public void Report(ExportProgress progress)
    {
        var fraction = progress.Total == 0 ? 1 : Math.Clamp((double)progress.Done / progress.Total, 0, 1);
        var percent = $"{Math.Floor(fraction * 100),3:0}%";
        var text = $"{progress.Done}/{progress.Total} posts checked, {progress.Included} rows written";
        if (_interactive)
        {
            var filled = (int)Math.Round(fraction * Width);
            writer.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {percent} {text}   ");
            _drawn = true;
        }
        else if (DateTime.UtcNow - _lastPrinted > TimeSpan.FromSeconds(2) || fraction >= 1)
        {
            writer.WriteLine($"progress: {percent.TrimStart()} {text}");
            _lastPrinted = DateTime.UtcNow;
        }
    }

    private string? _phase;

    /// <summary>A run's phase and counts: one updating line on a terminal; otherwise a line at each phase and every two seconds.</summary>
    public void Report(RunProgress progress)
    {
        var text = $"{progress.Phase}: {progress.RowsSeen} posts seen, {progress.RowsWritten} rows written, {progress.RowsExcluded} excluded, " +
            $"{progress.BytesWritten / (1024.0 * 1024):0.0} MiB";
        if (_interactive)
        {
            writer.Write($"\r{text}   ");
            _drawn = true;
        }
        else if (progress.Phase != _phase || DateTime.UtcNow - _lastPrinted > TimeSpan.FromSeconds(2))
        {
            writer.WriteLine($"progress: {text}");
            _lastPrinted = DateTime.UtcNow;
        }

        _phase = progress.Phase;
    }

    public void Finish()
    {
        if (_drawn)
        {
            writer.WriteLine();
            _drawn = false;
        }
    }

    public void Dispose() => Finish();
}
