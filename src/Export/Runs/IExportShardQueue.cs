namespace AiSocial.Export.Runs;

/// <summary>
/// Where a host that can spread work over the cluster (the console and workers, with Quartz's clustered store) queues a
/// planned run's ranges of shards, each written by <see cref="ExportRunner.WriteShardRangeAsync"/> on whichever node
/// takes it. Without one, or when it declines, the node that planned the run writes every range itself.
/// </summary>
public interface IExportShardQueue
{
    /// <summary>Queues ranges 0 to <paramref name="ranges"/> − 1 of the run; false when this host cannot (its scheduler is not running).</summary>
    Task<bool> EnqueueAsync(Guid runId, int ranges, CancellationToken cancellationToken);
}
