using NUnit.Framework;
using Sluice.Streams.Leases;

namespace Sluice.Streams.Tests;

/// <summary>Fair shares of a group's leases (pure: no store).</summary>
public class LeaseBalancerTests
{
    private const long Now = 1_000_000;

    private static LeaseRecord Lease(int shard, string? owner = null, long expires = Now + 5000, bool finished = false, params int[] parents) => new(
        "shardId-" + shard.ToString("D12", System.Globalization.CultureInfo.InvariantCulture),
        owner,
        Counter: 1,
        ExpiresMs: owner is null ? 0 : expires,
        finished ? LeaseCheckpoint.AtShardEnd : null,
        parents.Select(p => "shardId-" + p.ToString("D12", System.Globalization.CultureInfo.InvariantCulture)).ToList());

    [Test]
    public void A_newcomer_among_three_workers_takes_free_leases_up_to_its_share()
    {
        LeaseRecord[] leases = [Lease(0, "a"), Lease(1, "a"), Lease(2, "b"), Lease(3, "b"), Lease(4), Lease(5), Lease(6)];

        var plan = LeaseBalancer.Plan(leases, "c", Now);

        Assert.That(plan.LiveWorkers, Is.EqualTo(3));
        Assert.That(plan.AvailableShards, Is.EqualTo(7));
        Assert.That(plan.Claims.Select(c => (c.ShardId, c.Steal)), Is.EqualTo(new[] { ("shardId-000000000004", false), ("shardId-000000000005", false), ("shardId-000000000006", false) }));
    }

    [Test]
    public void Expired_leases_count_as_free_and_their_owners_as_gone()
    {
        LeaseRecord[] leases = [Lease(0, "dead", expires: Now - 1), Lease(1, "dead", expires: Now), Lease(2, "b")];

        var plan = LeaseBalancer.Plan(leases, "b", Now);

        Assert.That(plan.LiveWorkers, Is.EqualTo(1));
        Assert.That(plan.Claims.Select(c => c.ShardId), Is.EqualTo(new[] { "shardId-000000000000", "shardId-000000000001" }));
        Assert.That(plan.Claims.Select(c => c.Steal), Is.All.False);
    }

    [Test]
    public void With_nothing_free_a_worker_below_its_share_steals_one_lease_from_the_most_loaded()
    {
        LeaseRecord[] leases = [Lease(0, "a"), Lease(1, "a"), Lease(2, "a"), Lease(3, "b"), Lease(4, "b")];

        var plan = LeaseBalancer.Plan(leases, "c", Now);

        Assert.That(plan.Claims, Has.Count.EqualTo(1));
        Assert.That(plan.Claims[0], Is.EqualTo(new LeaseClaim("shardId-000000000002", 1, Steal: true)));
    }

    [Test]
    public void A_worker_at_its_share_neither_takes_nor_steals()
    {
        LeaseRecord[] leases = [Lease(0, "a"), Lease(1, "a"), Lease(2, "b")];

        Assert.That(LeaseBalancer.Plan(leases, "b", Now).Claims, Is.Empty, "3 shards over 2 workers: a share of 2 rounds up, and a holds exactly 2");
        Assert.That(LeaseBalancer.Plan(leases, "a", Now).Claims, Is.Empty);
    }

    [Test]
    public void Children_wait_for_every_parent_and_finished_shards_are_never_claimed()
    {
        LeaseRecord[] leases = [Lease(0, finished: true), Lease(1), Lease(2, parents: [0, 1]), Lease(3, parents: [0])];

        var plan = LeaseBalancer.Plan(leases, "a", Now);

        Assert.That(plan.Claims.Select(c => c.ShardId), Is.EqualTo(new[] { "shardId-000000000001", "shardId-000000000003" }));
        Assert.That(plan.AvailableShards, Is.EqualTo(2));
    }

    [Test]
    public void A_parent_unknown_to_the_table_does_not_block_its_child()
    {
        LeaseRecord[] leases = [Lease(7, parents: [3])];

        Assert.That(LeaseBalancer.Plan(leases, "a", Now).Claims.Select(c => c.ShardId), Is.EqualTo(new[] { "shardId-000000000007" }));
    }
}
