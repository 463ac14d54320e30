using System.Collections.Concurrent;

namespace Sluice.Streams.Records;

/// <summary>
/// Wake-ups for readers waiting at a shard's tip: the record log (and, across replicas, the database's notifications)
/// signal a shard after each durable append, so subscribers never poll.
/// </summary>
public sealed class ShardSignals
{
    private readonly ConcurrentDictionary<(long StreamId, int ShardIndex), ShardSignal> _signals = new();

    /// <summary>The signal of one shard, created on first use.</summary>
    public ShardSignal For(long streamId, int shardIndex) => _signals.GetOrAdd((streamId, shardIndex), static _ => new ShardSignal());

    /// <summary>Wakes every waiter of the given shards of a stream.</summary>
    public void Notify(long streamId, IReadOnlyList<int> shardIndexes)
    {
        foreach (var index in shardIndexes)
        {
            if (_signals.TryGetValue((streamId, index), out var signal)) signal.Set();
        }
    }

    /// <summary>Wakes every waiter of every shard (a reshard or delete, or a lost database notification channel).</summary>
    public void NotifyAll()
    {
        foreach (var signal in _signals.Values) signal.Set();
    }
}

/// <summary>
/// A version that moves on each append to a shard. Read the version, read the shard, and wait on that version only if
/// the read found nothing: an append between the read and the wait is never missed.
/// </summary>
public sealed class ShardSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;

    public long Version => Interlocked.Read(ref _version);

    /// <summary>Completes once the version differs from <paramref name="seen"/>, or when cancelled.</summary>
    public Task WaitAsync(long seen, CancellationToken ct)
    {
        var next = Volatile.Read(ref _next);
        if (Version != seen) return Task.CompletedTask;
        return next.Task.WaitAsync(ct);
    }

    internal void Set()
    {
        // The version moves before the swap: a waiter that already holds the fresh task also sees the new version.
        Interlocked.Increment(ref _version);
        var previous = Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }
}
