using System.Diagnostics;

namespace AiSocial.Moderation.Checks;

/// <summary>
/// Runs every registered check against a subject: the checks that read only the image together, then every check
/// that reads text (which then also sees the text the image checks found, such as OCR's). Each check gets its own timeout; one that throws or times out is reported
/// unavailable with the reason, and never contributes a score.
/// </summary>
public sealed class CheckRunner(IEnumerable<IPostCheck> checks)
{
    private readonly IReadOnlyList<IPostCheck> _checks = [.. checks];

    public IReadOnlyList<IPostCheck> Checks => _checks;

    public async Task<IReadOnlyList<CheckResult>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var imageOnlyChecks = _checks.Where(c => !c.Reads.HasFlag(CheckReads.Text));
        var textChecks = _checks.Where(c => c.Reads.HasFlag(CheckReads.Text));
        var results = new List<CheckResult>(_checks.Count);
        results.AddRange(await Task.WhenAll(imageOnlyChecks.Select(check => RunOneAsync(check, subject, cancellationToken))));
        results.AddRange(await Task.WhenAll(textChecks.Select(check => RunOneAsync(check, subject, cancellationToken))));
        return results;
    }

    private static async Task<CheckResult> RunOneAsync(IPostCheck check, CheckSubject subject, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await RunTimedOutOrFailedAsync(check, subject, cancellationToken);
        return result with { Duration = Stopwatch.GetElapsedTime(started) };
    }

    private static async Task<CheckResult> RunTimedOutOrFailedAsync(IPostCheck check, CheckSubject subject, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(check.Timeout);
        // Model inference is synchronous CPU work: give it a thread of its own, so it neither blocks the caller (the
        // timeout must be able to fire) nor starves the thread pool that timers and web requests need.
        var running = Task.Factory.StartNew(() => check.RunAsync(subject, timeout.Token), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        try
        {
            return new CheckResult(check, await running.WaitAsync(timeout.Token), null);
        }
        catch (OperationCanceledException) when (!running.IsCompleted)
        {
            // A check abandoned on timeout may still be reading the decoded image: it must outlive the check.
            subject.KeepImageWhile(running);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            return new CheckResult(check, [], $"timed out after {check.Timeout.TotalSeconds:0.#} s");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new CheckResult(check, [], $"timed out after {check.Timeout.TotalSeconds:0.#} s");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return new CheckResult(check, [], $"{exception.GetType().Name}: {exception.Message}");
        }
    }
}
