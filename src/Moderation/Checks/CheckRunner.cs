using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace AiSocial.Moderation.Checks;

/// <summary>
/// Runs every registered check against a subject: the checks that read only the image together, then every check
/// that reads text (which then also sees the text the image checks found, such as OCR's). Each check gets its own
/// timeout; one that throws or times out is reported unavailable with the reason, and never contributes a score.
/// Configuration (<c>Moderation:Checks</c>) decides which checks run at all, which are required and which run in shadow.
/// </summary>
public sealed class CheckRunner(IEnumerable<IPostCheck> checks, IOptions<ModerationOptions>? options = null)
{
    private readonly IReadOnlyList<ConfiguredCheck> _configured =
        [.. checks.Select(check => (options?.Value ?? new ModerationOptions()).Configure(check)).OfType<ConfiguredCheck>()];

    /// <summary>The checks that run (those configuration has not switched off).</summary>
    public IReadOnlyList<IPostCheck> Checks => [.. _configured.Select(c => c.Check)];

    /// <summary>The checks that run, each with whether it is required and whether it runs in shadow.</summary>
    public IReadOnlyList<ConfiguredCheck> Configured => _configured;

    public async Task<IReadOnlyList<CheckResult>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
    {
        var imageOnlyChecks = _configured.Where(c => !c.Check.Reads.HasFlag(CheckReads.Text));
        var textChecks = _configured.Where(c => c.Check.Reads.HasFlag(CheckReads.Text));
        var results = new List<CheckResult>(_configured.Count);
        results.AddRange(await Task.WhenAll(imageOnlyChecks.Select(check => RunOneAsync(check, subject, cancellationToken))));
        results.AddRange(await Task.WhenAll(textChecks.Select(check => RunOneAsync(check, subject, cancellationToken))));
        return results;
    }

    /// <summary>Every check that would run, reported unavailable for one reason (the post's image cannot be read, say).</summary>
    public IReadOnlyList<CheckResult> Unavailable(string reason) =>
        [.. _configured.Select(c => new CheckResult(c.Check, [], reason) { Required = c.Required, Shadow = c.Shadow })];

    private static async Task<CheckResult> RunOneAsync(ConfiguredCheck configured, CheckSubject subject, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await RunTimedOutOrFailedAsync(configured.Check, subject, cancellationToken);
        return result with { Duration = Stopwatch.GetElapsedTime(started), Required = configured.Required, Shadow = configured.Shadow };
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
