using Sluice.Streams.Catalog;

namespace Sluice.Streams.Leases;

/// <summary>What a take round left the worker with.</summary>
public sealed record TakenLeases(IReadOnlyList<LeaseRecord> Held, int AvailableShards, int LiveWorkers);

/// <summary>
/// One take round of a worker (the KCL's shard sync and lease taker): adds leases for shards the group has not seen,
/// then takes the worker's fair share with compare-and-set, so a lease another worker took meanwhile is simply skipped.
/// </summary>
public sealed class LeaseTaker(ILeaseStore store, TimeProvider time)
{
    public async Task<TakenLeases> TakeAsync(StreamState stream, IReadOnlyList<ShardState> shards, string group, string worker, long durationMs, CancellationToken ct)
    {
        var leases = await store.ListAsync(stream.Id, group, ct);
        if (HasMissing(leases, shards))
        {
            var missing = new List<LeaseShard>(shards.Count);
            foreach (var shard in shards) missing.Add(new LeaseShard(shard.ShardId, shard.ParentShardId, shard.AdjacentParentShardId));
            await store.AddShardsAsync(stream.Id, group, missing, ct);
            leases = await store.ListAsync(stream.Id, group, ct);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var plan = LeaseBalancer.Plan(leases, worker, now);
        var taken = new Dictionary<string, LeaseRecord>(StringComparer.Ordinal);
        foreach (var claim in plan.Claims)
        {
            if (await store.TakeAsync(stream.Id, group, claim.ShardId, claim.SeenCounter, worker, now, now + durationMs, claim.Steal, ct) is { } lease)
            {
                taken[lease.ShardId] = lease;
            }
        }

        var held = new List<LeaseRecord>();
        foreach (var lease in leases)
        {
            if (taken.TryGetValue(lease.ShardId, out var fresh)) held.Add(fresh);
            else if (lease.Owner == worker && lease.IsHeld(now) && !lease.IsFinished) held.Add(lease);
        }

        return new TakenLeases(held, plan.AvailableShards, plan.LiveWorkers);
    }

    private static bool HasMissing(IReadOnlyList<LeaseRecord> leases, IReadOnlyList<ShardState> shards)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lease in leases) known.Add(lease.ShardId);
        foreach (var shard in shards)
        {
            if (!known.Contains(shard.ShardId)) return true;
        }

        return false;
    }
}
