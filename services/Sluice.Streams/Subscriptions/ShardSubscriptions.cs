using Sluice.AwsProtocol;

namespace Sluice.Streams.Subscriptions;

/// <summary>Why a subscription stopped before its shard ended.</summary>
public enum SubscriptionEnd
{
    /// <summary>Still running, or ended by its client or its shard.</summary>
    None,

    /// <summary>Its lifetime (five minutes on AWS) passed: the client re-subscribes from the continuation.</summary>
    Lifetime,

    /// <summary>A newer SubscribeToShard for the same consumer and shard took over.</summary>
    TakenOver,

    /// <summary>The consumer was deregistered (or its stream deleted).</summary>
    ConsumerGone,
}

/// <summary>
/// The live SubscribeToShard streams, at most one per consumer and shard: a second call within <see cref="TakeoverAfter"/>
/// of the last successful one is refused with ResourceInUseException, a later one ends the old stream and takes over.
/// </summary>
public sealed class ShardSubscriptions(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string ConsumerArn, int ShardIndex), Subscription> _live = [];

    /// <summary>How long one subscription streams before it ends cleanly (AWS: 5 minutes). Tests shorten it.</summary>
    internal TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a subscription is protected from a new one for the same consumer and shard (AWS: 5 s).</summary>
    internal TimeSpan TakeoverAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a subscriber waits at the shard's tip before an empty event moves its continuation on.</summary>
    internal TimeSpan EmptyEventInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Registers a subscription; ResourceInUseException when the current one is younger than <see cref="TakeoverAfter"/>.</summary>
    public Subscription Begin(string consumerArn, int shardIndex, string description)
    {
        var key = (consumerArn, shardIndex);
        Subscription? previous;
        Subscription subscription;
        lock (_gate)
        {
            if (_live.Remove(key, out previous) && time.GetElapsedTime(previous.StartedTimestamp) < TakeoverAfter)
            {
                _live[key] = previous;
                throw AwsException.InUse($"Another active subscription exists for this consumer: {description}");
            }

            subscription = new Subscription(this, key, time.GetTimestamp(), Lifetime, time);
            _live[key] = subscription;
        }

        // Cancelled outside the lock: the old stream's handler runs its ending on this thread.
        previous?.End(SubscriptionEnd.TakenOver);
        return subscription;
    }

    /// <summary>Ends every subscription of a consumer (DeregisterStreamConsumer).</summary>
    public void EndConsumer(string consumerArn)
    {
        List<Subscription>? ended = null;
        lock (_gate)
        {
            foreach (var (key, subscription) in _live)
            {
                if (key.ConsumerArn == consumerArn) (ended ??= []).Add(subscription);
            }

            if (ended is null) return;
            foreach (var subscription in ended) _live.Remove(subscription.Key);
        }

        foreach (var subscription in ended) subscription.End(SubscriptionEnd.ConsumerGone);
    }

    /// <summary>How many subscriptions are live (for tests and metrics).</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _live.Count;
        }
    }

    internal void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            if (_live.TryGetValue(subscription.Key, out var current) && current == subscription) _live.Remove(subscription.Key);
        }
    }
}

/// <summary>One live subscription: <see cref="Ended"/> fires at its lifetime, on takeover or when its consumer goes.</summary>
public sealed class Subscription : IDisposable
{
    private readonly ShardSubscriptions _owner;
    private readonly CancellationTokenSource _ended;
    private int _reason;

    internal Subscription(ShardSubscriptions owner, (string, int) key, long startedTimestamp, TimeSpan lifetime, TimeProvider time)
    {
        _owner = owner;
        Key = key;
        StartedTimestamp = startedTimestamp;
        _ended = new CancellationTokenSource(lifetime, time);
    }

    internal (string ConsumerArn, int ShardIndex) Key { get; }

    internal long StartedTimestamp { get; }

    public CancellationToken Ended => _ended.Token;

    /// <summary>Why <see cref="Ended"/> fired: a takeover or a gone consumer, else the lifetime.</summary>
    public SubscriptionEnd Reason => (SubscriptionEnd)Volatile.Read(ref _reason) is var r && r != SubscriptionEnd.None
        ? r
        : _ended.IsCancellationRequested ? SubscriptionEnd.Lifetime : SubscriptionEnd.None;

    internal void End(SubscriptionEnd reason)
    {
        Interlocked.CompareExchange(ref _reason, (int)reason, (int)SubscriptionEnd.None);
        try
        {
            _ended.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The stream finished on its own meanwhile.
        }
    }

    public void Dispose()
    {
        _owner.Remove(this);
        _ended.Dispose();
    }
}
