using Sluice.Streams.V1;

namespace Sluice.Streams.Client;

/// <summary>Records of one shard handed to a consumer's handler, in order, with a way to checkpoint them.</summary>
public sealed class ShardBatch
{
    private readonly ShardWorker _worker;

    internal ShardBatch(ShardWorker worker, IReadOnlyList<Record> records, long millisBehindLatest, bool isShardEnd = false)
    {
        _worker = worker;
        Records = records;
        MillisBehindLatest = millisBehindLatest;
        IsShardEnd = isShardEnd;
    }

    public string ShardId => _worker.ShardId;

    public IReadOnlyList<Record> Records { get; }

    public long MillisBehindLatest { get; }

    /// <summary>The shard has ended with this batch (possibly empty, with <see cref="StreamConsumerOptions.NotifyShardEnd"/>): finish what is buffered before SHARD_END is checkpointed.</summary>
    public bool IsShardEnd { get; }

    /// <summary>Cancelled when the worker loses this shard's lease (stop working on it) or the consumer stops.</summary>
    public CancellationToken ShardCancellation => _worker.Cancellation;

    /// <summary>Checkpoints the batch's last record. Throws <see cref="LeaseLostException"/> when another worker has the shard now.</summary>
    public Task CheckpointAsync(CancellationToken ct = default) =>
        Records.Count == 0 ? Task.CompletedTask : _worker.CheckpointAsync(Records[^1].SequenceNumber, 0, ct);

    /// <summary>
    /// Checkpoints a record of the shard; for an aggregated (KPL) record, <paramref name="subSequenceNumber"/> is the index
    /// of the last user record handled in it. Throws <see cref="LeaseLostException"/> when another worker has the shard now.
    /// </summary>
    public Task CheckpointAsync(string sequenceNumber, long subSequenceNumber, CancellationToken ct = default) =>
        _worker.CheckpointAsync(sequenceNumber, subSequenceNumber, ct);
}

/// <summary>The worker no longer holds the shard's lease: another worker took it (its checkpoint wins), so stop working on it.</summary>
public sealed class LeaseLostException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A consumer's record handler: returns once the batch is handled (the consumer then checkpoints it). Batches of one
/// shard come one at a time, in order; batches of different shards come concurrently.
/// </summary>
public delegate Task ShardBatchHandler(ShardBatch batch, CancellationToken ct);
