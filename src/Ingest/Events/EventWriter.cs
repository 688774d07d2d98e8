using System.Threading.Channels;
using AiSocial.Problems;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Ingest.Events;

/// <summary>
/// The one writer of <c>ingest.events</c> in a process, by group commit: requests queue their batch and wait; a single
/// loop takes everything queued (up to <see cref="EventOptions.MaxEventsPerCopy"/>) into one binary COPY in one
/// transaction, commits, then answers every batch in it. A batch is acknowledged only once that commit succeeded, so
/// an acknowledged event is durable; when the COPY fails every batch in it is refused, none half-written. The queue is
/// bounded: a request that would overfill it is refused at once, so a slow database pushes back on clients.
/// </summary>
public sealed class EventWriter(
    NpgsqlDataSource dataSource, EventPartitions partitions, IOptions<EventOptions> options, IngestTelemetry telemetry, TimeProvider time,
    ILogger<EventWriter> logger) : BackgroundService
{
    private const string Copy = "copy ingest.events (at, post_id, account_id, type, ms) from stdin (format binary)";

    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private long _queuedEvents;
    private long _commits;
    private DateOnly _partitionsCheckedOn;

    /// <summary>Transactions committed so far, each holding one COPY of one or more batches.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Events waiting for the writer now, including those in the COPY under way.</summary>
    public long QueuedEvents => Interlocked.Read(ref _queuedEvents);

    /// <summary>Writes the events and returns once they are committed; refused (503) when the queue is full or the write failed.</summary>
    public async Task<Outcome<int>> WriteAsync(IReadOnlyList<InteractionEvent> events)
    {
        if (events.Count == 0)
        {
            return 0;
        }

        if (Interlocked.Add(ref _queuedEvents, events.Count) > options.Value.MaxQueuedEvents)
        {
            Interlocked.Add(ref _queuedEvents, -events.Count);
            telemetry.EventsRefused.Add(events.Count);
            return new Refusal(IngestProblems.EventsBusy,
                "More events are waiting to be written than this server queues; nothing was recorded. Send them again after Retry-After.")
            {
                RetryAfter = RetryAfter,
            };
        }

        var pending = new PendingWrite(events);
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Add(ref _queuedEvents, -events.Count);
            return Unavailable("the server is shutting down", events.Count);
        }

        telemetry.EventsQueued.Add(events.Count);
        var failure = await pending.Done.Task;
        return failure is null ? events.Count : Unavailable("they could not be written to the database", events.Count);
    }

    private Refusal Unavailable(string why, int events)
    {
        telemetry.EventsRefused.Add(events);
        return new Refusal(IngestProblems.EventsUnavailable, $"The events were not recorded: {why}. Send them again after Retry-After.")
        {
            RetryAfter = RetryAfter,
        };
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await EnsurePartitionsAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Nothing new is taken; what is queued is still written and answered before the loop ends.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        var group = new List<PendingWrite>();
        var maxRows = options.Value.MaxEventsPerCopy;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            group.Clear();
            var rows = 0;
            while (rows < maxRows && reader.TryRead(out var pending))
            {
                group.Add(pending);
                rows += pending.Events.Count;
            }

            Exception? failure = null;
            try
            {
                await WriteGroupAsync(group);
                Interlocked.Increment(ref _commits);
                telemetry.EventCopies.Add(1);
                telemetry.EventsWritten.Add(rows);
            }
            catch (Exception exception)
            {
                failure = exception;
                logger.LogError(exception, "Writing {Events} events from {Requests} requests failed; all of them are refused", rows, group.Count);
            }

            Interlocked.Add(ref _queuedEvents, -rows);
            telemetry.EventsQueued.Add(-rows);
            foreach (var pending in group)
            {
                pending.Done.TrySetResult(failure);
            }
        }
    }

    private async Task WriteGroupAsync(List<PendingWrite> group)
    {
        // The writer needs no scheduler to find today's partition: it checks once a day itself.
        if (DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime) != _partitionsCheckedOn)
        {
            await EnsurePartitionsAsync(CancellationToken.None);
        }

        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var importer = await connection.BeginBinaryImportAsync(Copy))
        {
            foreach (var pending in group)
            {
                foreach (var e in pending.Events)
                {
                    await importer.StartRowAsync();
                    await importer.WriteAsync(e.At, NpgsqlDbType.TimestampTz);
                    await importer.WriteAsync(e.PostId, NpgsqlDbType.Uuid);
                    await importer.WriteAsync(e.AccountId, NpgsqlDbType.Uuid);
                    await importer.WriteAsync((short)e.Type, NpgsqlDbType.Smallint);
                    if (e.Ms is { } ms)
                    {
                        await importer.WriteAsync(ms, NpgsqlDbType.Integer);
                    }
                    else
                    {
                        await importer.WriteNullAsync();
                    }
                }
            }

            await importer.CompleteAsync();
        }

        await transaction.CommitAsync();
    }

    private async Task EnsurePartitionsAsync(CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        await partitions.EnsureAsync(cancellationToken);
        _partitionsCheckedOn = today;
    }

    private sealed class PendingWrite(IReadOnlyList<InteractionEvent> events)
    {
        public IReadOnlyList<InteractionEvent> Events { get; } = events;

        /// <summary>Completed with null once committed, or with the failure that refused it.</summary>
        public TaskCompletionSource<Exception?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
