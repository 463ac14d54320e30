namespace Sluice.Streams.Leases;

/// <summary>
/// Leases and checkpoints of consumer groups, one row per (stream, group, shard): the KCL lease table. Every change is a
/// compare-and-set on the lease counter, so workers on different machines share one table safely.
/// SQLite (embedded) and PostgreSQL (cluster) implement it; nothing here calls back into the service.
/// </summary>
public interface ILeaseStore : IAsyncDisposable
{
    /// <summary>Creates the lease table if missing.</summary>
    Task InitializeAsync(CancellationToken ct);

    /// <summary>Adds a free lease for each shard the group has none for yet (idempotent).</summary>
    Task AddShardsAsync(long streamId, string group, IReadOnlyList<LeaseShard> shards, CancellationToken ct);

    /// <summary>Every lease of the group, ordered by shard id.</summary>
    Task<IReadOnlyList<LeaseRecord>> ListAsync(long streamId, string group, CancellationToken ct);

    /// <summary>
    /// Gives the lease to the worker if its counter is still <paramref name="seenCounter"/> and it is free or expired at
    /// <paramref name="nowMs"/> (or <paramref name="steal"/> is set); returns the lease as taken, or null when someone got there first.
    /// </summary>
    Task<LeaseRecord?> TakeAsync(long streamId, string group, string shardId, long seenCounter, string worker, long nowMs, long expiresMs, bool steal, CancellationToken ct);

    /// <summary>Extends the lease if the worker still holds it at that counter; null when it does not.</summary>
    Task<LeaseRecord?> RenewAsync(long streamId, string group, string shardId, string worker, long counter, long expiresMs, CancellationToken ct);

    /// <summary>
    /// Records the checkpoint if the worker still holds the lease at that counter; a checkpoint at the shard's end also
    /// frees the lease for good. Null when the worker does not hold it.
    /// </summary>
    Task<LeaseRecord?> CheckpointAsync(long streamId, string group, string shardId, string worker, long counter, LeaseCheckpoint checkpoint, CancellationToken ct);

    /// <summary>Frees the lease if the worker holds it at that counter; false when it does not.</summary>
    Task<bool> ReleaseAsync(long streamId, string group, string shardId, string worker, long counter, CancellationToken ct);
}

/// <summary>A shard as the lease table needs it: its id and the shards it came from.</summary>
public readonly record struct LeaseShard(string ShardId, string? ParentShardId, string? AdjacentParentShardId);

/// <summary>Progress in a shard: a sequence number and the sub-sequence number of the last user record handled, or the shard's end.</summary>
public readonly record struct LeaseCheckpoint(string SequenceNumber, long SubSequenceNumber, bool ShardEnd)
{
    /// <summary>What the checkpoint column holds at a shard's end (the KCL sentinel).</summary>
    public const string ShardEndSentinel = "SHARD_END";

    public static readonly LeaseCheckpoint AtShardEnd = new(ShardEndSentinel, 0, true);

    /// <summary>The checkpoint as stored in the checkpoint and sub-sequence columns, or null when none was stored.</summary>
    public static LeaseCheckpoint? FromColumns(string? sequenceNumber, long subSequenceNumber) => sequenceNumber switch
    {
        null => null,
        ShardEndSentinel => AtShardEnd,
        _ => new LeaseCheckpoint(sequenceNumber, subSequenceNumber, false),
    };

    public string Column => ShardEnd ? ShardEndSentinel : SequenceNumber;
}

/// <summary>One lease row: who holds the shard until when, at which counter, and how far the group got in it.</summary>
public sealed record LeaseRecord(string ShardId, string? Owner, long Counter, long ExpiresMs, LeaseCheckpoint? Checkpoint, IReadOnlyList<string> ParentShardIds)
{
    public bool IsFinished => Checkpoint is { ShardEnd: true };

    public bool IsHeld(long nowMs) => Owner is not null && ExpiresMs > nowMs;

    /// <summary>Parents as stored: comma-separated shard ids.</summary>
    public static string JoinParents(LeaseShard shard) =>
        shard.AdjacentParentShardId is null ? shard.ParentShardId ?? "" : shard.ParentShardId + "," + shard.AdjacentParentShardId;

    public static IReadOnlyList<string> SplitParents(string parents) =>
        parents.Length == 0 ? [] : parents.Split(',', StringSplitOptions.RemoveEmptyEntries);
}
