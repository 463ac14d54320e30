namespace Sluice.Streams.Leases;

/// <summary>A lease a worker should try to take: the counter it saw, and whether it is taken from a live worker.</summary>
public readonly record struct LeaseClaim(string ShardId, long SeenCounter, bool Steal);

/// <summary>What a worker should take to reach its fair share, and what it saw.</summary>
public sealed record LeasePlan(IReadOnlyList<LeaseClaim> Claims, int AvailableShards, int LiveWorkers);

/// <summary>
/// Fair shares of a group's leases, the KCL way: a shard is available once every parent is finished; each live worker
/// (one holding an unexpired lease, plus the asking one) should hold about available / workers; a worker below its share
/// takes free or expired leases first and, when none are left, steals one from the most loaded worker above the share.
/// </summary>
public static class LeaseBalancer
{
    public static LeasePlan Plan(IReadOnlyList<LeaseRecord> leases, string worker, long nowMs)
    {
        var finished = new HashSet<string>(StringComparer.Ordinal);
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lease in leases)
        {
            known.Add(lease.ShardId);
            if (lease.IsFinished) finished.Add(lease.ShardId);
        }

        var available = new List<LeaseRecord>();
        foreach (var lease in leases)
        {
            if (lease.IsFinished) continue;
            var ready = true;

            // A parent the table does not know (expired before the group started) counts as finished.
            foreach (var parent in lease.ParentShardIds) ready &= !known.Contains(parent) || finished.Contains(parent);
            if (ready) available.Add(lease);
        }

        var held = new Dictionary<string, int>(StringComparer.Ordinal) { [worker] = 0 };
        foreach (var lease in available)
        {
            if (lease.IsHeld(nowMs)) held[lease.Owner!] = held.GetValueOrDefault(lease.Owner!) + 1;
        }

        var target = (available.Count + held.Count - 1) / held.Count;
        var need = target - held[worker];
        var claims = new List<LeaseClaim>();
        foreach (var lease in available)
        {
            if (need <= 0) break;
            if (lease.IsHeld(nowMs)) continue;
            claims.Add(new LeaseClaim(lease.ShardId, lease.Counter, Steal: false));
            need--;
        }

        if (need > 0)
        {
            // One steal per round, so shares move gradually and two new workers do not both raid the same one.
            string? richest = null;
            var most = target;
            foreach (var (owner, count) in held)
            {
                if (count > most || (count == most && richest is not null && string.CompareOrdinal(owner, richest) < 0))
                {
                    richest = owner;
                    most = count;
                }
            }

            if (richest is not null)
            {
                for (var i = available.Count - 1; i >= 0; i--)
                {
                    var lease = available[i];
                    if (lease.Owner == richest && lease.IsHeld(nowMs))
                    {
                        claims.Add(new LeaseClaim(lease.ShardId, lease.Counter, Steal: true));
                        break;
                    }
                }
            }
        }

        return new LeasePlan(claims, available.Count, held.Count);
    }
}
