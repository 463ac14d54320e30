namespace Sluice.Streams.Client;

/// <summary>Where a consumer group starts reading a shard it has no checkpoint for (a child shard always starts at its beginning).</summary>
public enum InitialPosition
{
    TrimHorizon,
    Latest,
}

/// <summary>What a <see cref="StreamConsumer"/> consumes and how it shares the work.</summary>
public sealed class StreamConsumerOptions
{
    public required string StreamName { get; init; }

    /// <summary>The application name: workers with the same group share the shards and the checkpoints.</summary>
    public required string ConsumerGroup { get; init; }

    /// <summary>This worker's name in the lease table; unique per running worker.</summary>
    public string WorkerId { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    public InitialPosition InitialPosition { get; init; } = InitialPosition.TrimHorizon;

    /// <summary>How long a lease lasts without renewal: a dead worker's shards move on after this long.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often held leases are renewed (default a third of the lease duration).</summary>
    public TimeSpan? RenewInterval { get; init; }

    /// <summary>How often the worker looks for free, expired or unfairly shared leases.</summary>
    public TimeSpan TakeInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Most records handed to the handler at once.</summary>
    public int MaxBatchRecords { get; init; } = 1000;

    /// <summary>Checkpoint each batch's last record after the handler returns; off when the handler checkpoints itself.</summary>
    public bool CheckpointAfterBatch { get; init; } = true;

    /// <summary>Hand the handler a batch marked <see cref="ShardBatch.IsShardEnd"/> (empty if need be) before SHARD_END is checkpointed, for handlers that buffer across batches.</summary>
    public bool NotifyShardEnd { get; init; }

    /// <summary>How long to wait before subscribing again after the server went away.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    internal TimeSpan Renewal => RenewInterval ?? LeaseDuration / 3;
}
