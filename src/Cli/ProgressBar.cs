using AiSocial.Export.Writing;

namespace AiSocial.Cli;

/// <summary>A run's progress as one updating line on a terminal; plain periodic lines when output is redirected.</summary>
public sealed class ProgressBar(TextWriter writer) : IDisposable
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private DateTime _lastPrinted = DateTime.MinValue;
    private bool _drawn;

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
