using NUnit.Framework;
using Sluice.Streams.Catalog;
using Sluice.Streams.Leases;

namespace Sluice.Streams.Tests;

/// <summary>Lease and checkpoint semantics of the lease table, against SQLite and the real PostgreSQL.</summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
public class LeaseStoreTests(string storage)
{
    private const long Duration = 10_000;
    private ILeaseStore _store = null!;
    private long _nextStreamId = 1;

    [OneTimeSetUp]
    public async Task Open()
    {
        var settings = await TestStorage.CreateAsync(storage);
        _store = storage == TestStorage.Postgres ? new PostgresLeaseStore(settings.Postgres!) : new SqliteLeaseStore(settings.DataDir);
        await _store.InitializeAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Close()
    {
        if (_store is not null) await _store.DisposeAsync();
    }

    /// <summary>A stream with <paramref name="count"/> open shards (a fresh id per test, so tests share the table).</summary>
    private StreamState NewStream(int count)
    {
        var stream = new StreamState { Id = Interlocked.Increment(ref _nextStreamId) + 1000, Name = "leases" };
        for (var i = 0; i < count; i++) stream.Shards.Add(new ShardState { Index = stream.NextShardIndex++ });
        return stream;
    }

    private static ShardState AddChild(StreamState stream, params ShardState[] parents)
    {
        var child = new ShardState
        {
            Index = stream.NextShardIndex++,
            ParentShardId = parents[0].ShardId,
            AdjacentParentShardId = parents.Length > 1 ? parents[1].ShardId : null,
        };
        foreach (var parent in parents) parent.ClosedMs = 1;
        stream.Shards.Add(child);
        return child;
    }

    private static string[] Ids(TakenLeases taken) => taken.Held.Select(l => l.ShardId).Order(StringComparer.Ordinal).ToArray();

    [Test]
    public async Task A_lone_worker_takes_every_shard()
    {
        var stream = NewStream(4);
        var taker = new LeaseTaker(_store, new ManualTime());

        var taken = await taker.TakeAsync(stream, stream.Shards, "app", "w1", Duration, CancellationToken.None);

        Assert.That(Ids(taken), Is.EqualTo(stream.Shards.Select(s => s.ShardId).ToArray()));
        Assert.That(taken.Held.Select(l => l.Owner), Is.All.EqualTo("w1"));
        Assert.That(taken.Held.Select(l => l.Checkpoint), Is.All.Null);
    }

    [Test]
    public async Task A_second_worker_steals_one_lease_per_round_until_shares_are_fair()
    {
        var stream = NewStream(4);
        var taker = new LeaseTaker(_store, new ManualTime());
        await taker.TakeAsync(stream, stream.Shards, "app", "w1", Duration, CancellationToken.None);

        var first = await taker.TakeAsync(stream, stream.Shards, "app", "w2", Duration, CancellationToken.None);
        var second = await taker.TakeAsync(stream, stream.Shards, "app", "w2", Duration, CancellationToken.None);
        var third = await taker.TakeAsync(stream, stream.Shards, "app", "w2", Duration, CancellationToken.None);
        var w1 = await taker.TakeAsync(stream, stream.Shards, "app", "w1", Duration, CancellationToken.None);

        Assert.That(first.Held, Has.Count.EqualTo(1));
        Assert.That(second.Held, Has.Count.EqualTo(2));
        Assert.That(third.Held, Has.Count.EqualTo(2), "at its fair share a worker stops stealing");
        Assert.That(w1.Held, Has.Count.EqualTo(2), "the first worker does not take back what was stolen");
        Assert.That(Ids(w1).Intersect(Ids(third)), Is.Empty);
        Assert.That(w1.LiveWorkers, Is.EqualTo(2));
    }

    [Test]
    public async Task Consumer_groups_have_separate_leases_and_checkpoints()
    {
        var stream = NewStream(2);
        var taker = new LeaseTaker(_store, new ManualTime());
        var a = await taker.TakeAsync(stream, stream.Shards, "app-a", "w1", Duration, CancellationToken.None);
        var b = await taker.TakeAsync(stream, stream.Shards, "app-b", "w2", Duration, CancellationToken.None);
        await _store.CheckpointAsync(stream.Id, "app-a", a.Held[0].ShardId, "w1", a.Held[0].Counter, new LeaseCheckpoint("42", 0, false), CancellationToken.None);

        Assert.That(b.Held, Has.Count.EqualTo(2));
        var listB = await _store.ListAsync(stream.Id, "app-b", CancellationToken.None);
        Assert.That(listB.Select(l => l.Checkpoint), Is.All.Null);
    }

    [Test]
    public async Task A_checkpoint_succeeds_for_the_holder_and_is_kept_with_its_sub_sequence_number()
    {
        var stream = NewStream(1);
        var taker = new LeaseTaker(_store, new ManualTime());
        var lease = (await taker.TakeAsync(stream, stream.Shards, "app", "w1", Duration, CancellationToken.None)).Held[0];

        var saved = await _store.CheckpointAsync(stream.Id, "app", lease.ShardId, "w1", lease.Counter, new LeaseCheckpoint("49590338271490256608559692538361571095921575989136588898", 7, false), CancellationToken.None);

        Assert.That(saved, Is.Not.Null);
        var listed = (await _store.ListAsync(stream.Id, "app", CancellationToken.None)).Single();
        Assert.That(listed.Checkpoint, Is.EqualTo(new LeaseCheckpoint("49590338271490256608559692538361571095921575989136588898", 7, false)));
        Assert.That(listed.Owner, Is.EqualTo("w1"));
    }

    [Test]
    public async Task A_worker_whose_lease_was_taken_cannot_checkpoint_renew_or_release_it()
    {
        var stream = NewStream(1);
        var time = new ManualTime();
        var taker = new LeaseTaker(_store, time);
        var lease = (await taker.TakeAsync(stream, stream.Shards, "app", "w1", Duration, CancellationToken.None)).Held[0];
        time.Advance(Duration + 1);
        var taken = await taker.TakeAsync(stream, stream.Shards, "app", "w2", Duration, CancellationToken.None);
        Assert.That(Ids(taken), Is.EqualTo(new[] { lease.ShardId }));

        var checkpoint = await _store.CheckpointAsync(stream.Id, "app", lease.ShardId, "w1", lease.Counter, new LeaseCheckpoint("1", 0, false), CancellationToken.None);
        var renewed = await _store.RenewAsync(stream.Id, "app", lease.ShardId, "w1", lease.Counter, time.NowMs + Duration, CancellationToken.None);
        var released = await _store.ReleaseAsync(stream.Id, "app", lease.ShardId, "w1", lease.Counter, CancellationToken.None);

        Assert.That(checkpoint, Is.Null);
        Assert.That(renewed, Is.Null);
        Assert.That(released, Is.False);
        Assert.That((await _store.ListAsync(stream.Id, "app", CancellationToken.None)).Single().Owner, Is.EqualTo("w2"));
    }

    [Test]
    public async Task A_renewed_lease_is_not_taken_by_another_worker()
    {
        var stream = NewStream(1);
        var time = new ManualTime();
        var taker = new LeaseTaker(_store, time);
        var lease = (await taker.TakeAsync(stream, stream.Shards, "app", "w1", Duration, CancellationToken.None)).Held[0];
        time.Advance(Duration / 2);
        var renewed = await _store.RenewAsync(stream.Id, "app", lease.ShardId, "w1", lease.Counter, time.NowMs + Duration, CancellationToken.None);
        time.Advance((Duration / 2) + 1);

        var other = await taker.TakeAsync(stream, stream.Shards, "app", "w2", Duration, CancellationToken.None);

        Assert.That(renewed, Is.Not.Null);
        Assert.That(other.Held, Is.Empty, "one shard, two workers: the fair share rounds up to the holder's one");
        Assert.That((await _store.ListAsync(stream.Id, "app", CancellationToken.None)).Single().Owner, Is.EqualTo("w1"));
    }

    [Test]
    public async Task A_dead_workers_expired_leases_are_taken_over_from_their_checkpoints()
    {
        var stream = NewStream(2);
        var time = new ManualTime();
        var taker = new LeaseTaker(_store, time);
        var held = (await taker.TakeAsync(stream, stream.Shards, "app", "dead", Duration, CancellationToken.None)).Held;
        foreach (var lease in held)
        {
            await _store.CheckpointAsync(stream.Id, "app", lease.ShardId, "dead", lease.Counter, new LeaseCheckpoint("100" + lease.ShardId[^1], 3, false), CancellationToken.None);
        }

        var before = await taker.TakeAsync(stream, stream.Shards, "app", "alive", Duration, CancellationToken.None);
        time.Advance(Duration + 1);
        var after = await taker.TakeAsync(stream, stream.Shards, "app", "alive", Duration, CancellationToken.None);

        Assert.That(before.Held, Has.Count.EqualTo(1), "while both live, the newcomer steals only its fair share");
        Assert.That(Ids(after), Is.EqualTo(stream.Shards.Select(s => s.ShardId).ToArray()));
        Assert.That(after.Held.Select(l => l.Checkpoint!.Value.SequenceNumber), Is.EquivalentTo(new[] { "1000", "1001" }));
        Assert.That(after.Held.Select(l => l.Checkpoint!.Value.SubSequenceNumber), Is.All.EqualTo(3));
    }

    [Test]
    public async Task A_child_shard_is_handed_out_only_after_every_parent_is_checkpointed_at_shard_end()
    {
        var stream = NewStream(2);
        var child = AddChild(stream, stream.Shards[0], stream.Shards[1]);
        var taker = new LeaseTaker(_store, new ManualTime());

        var parents = await taker.TakeAsync(stream, stream.Shards, "app", "w1", Duration, CancellationToken.None);
        Assert.That(Ids(parents), Is.EqualTo(new[] { stream.Shards[0].ShardId, stream.Shards[1].ShardId }));
        Assert.That(parents.AvailableShards, Is.EqualTo(2));

        var first = parents.Held[0];
        await _store.CheckpointAsync(stream.Id, "app", first.ShardId, "w1", first.Counter, LeaseCheckpoint.AtShardEnd, CancellationToken.None);
        var oneParentDone = await taker.TakeAsync(stream, stream.Shards, "app", "w1", Duration, CancellationToken.None);
        Assert.That(Ids(oneParentDone), Is.EqualTo(new[] { stream.Shards[1].ShardId }), "the finished parent is released; the child still waits");

        var second = parents.Held[1];
        await _store.CheckpointAsync(stream.Id, "app", second.ShardId, "w1", second.Counter, LeaseCheckpoint.AtShardEnd, CancellationToken.None);
        var bothDone = await taker.TakeAsync(stream, stream.Shards, "app", "w1", Duration, CancellationToken.None);
        Assert.That(Ids(bothDone), Is.EqualTo(new[] { child.ShardId }));
        Assert.That(bothDone.Held[0].ParentShardIds, Is.EqualTo(new[] { stream.Shards[0].ShardId, stream.Shards[1].ShardId }));

        var listed = await _store.ListAsync(stream.Id, "app", CancellationToken.None);
        Assert.That(listed.Where(l => l.IsFinished).Select(l => l.ShardId), Is.EqualTo(new[] { stream.Shards[0].ShardId, stream.Shards[1].ShardId }));
        Assert.That(listed.Where(l => l.IsFinished).Select(l => l.Owner), Is.All.Null);
    }

    [Test]
    public async Task A_finished_shard_is_never_taken_again()
    {
        var stream = NewStream(1);
        var time = new ManualTime();
        var taker = new LeaseTaker(_store, time);
        var lease = (await taker.TakeAsync(stream, stream.Shards, "app", "w1", Duration, CancellationToken.None)).Held[0];
        await _store.CheckpointAsync(stream.Id, "app", lease.ShardId, "w1", lease.Counter, LeaseCheckpoint.AtShardEnd, CancellationToken.None);
        var finished = (await _store.ListAsync(stream.Id, "app", CancellationToken.None)).Single();

        var again = await taker.TakeAsync(stream, stream.Shards, "app", "w2", Duration, CancellationToken.None);
        var forced = await _store.TakeAsync(stream.Id, "app", lease.ShardId, finished.Counter, "w2", time.NowMs, time.NowMs + Duration, steal: true, CancellationToken.None);

        Assert.That(again.Held, Is.Empty);
        Assert.That(forced, Is.Null);
    }

    [Test]
    public async Task A_released_lease_is_free_for_the_next_worker_at_once()
    {
        var stream = NewStream(1);
        var taker = new LeaseTaker(_store, new ManualTime());
        var lease = (await taker.TakeAsync(stream, stream.Shards, "app", "w1", Duration, CancellationToken.None)).Held[0];

        Assert.That(await _store.ReleaseAsync(stream.Id, "app", lease.ShardId, "w1", lease.Counter, CancellationToken.None), Is.True);
        var next = await taker.TakeAsync(stream, stream.Shards, "app", "w2", Duration, CancellationToken.None);

        Assert.That(Ids(next), Is.EqualTo(new[] { lease.ShardId }));
        Assert.That(next.Held[0].Counter, Is.EqualTo(lease.Counter + 2), "taken, released, taken");
    }

    [Test]
    public async Task Workers_taking_at_once_never_hold_the_same_lease_at_the_same_counter()
    {
        var stream = NewStream(8);
        var taker = new LeaseTaker(_store, new ManualTime());
        var workers = Enumerable.Range(0, 6).Select(w => "w" + w).ToArray();

        var rounds = await Task.WhenAll(workers.SelectMany(w => Enumerable.Range(0, 3).Select(async _ =>
        {
            var taken = await taker.TakeAsync(stream, stream.Shards, "app", w, Duration, CancellationToken.None);
            return taken.Held.Select(l => (l.ShardId, l.Counter, Worker: w)).ToList();
        })));

        var claims = rounds.SelectMany(r => r).Distinct().ToList();
        var conflicts = claims.GroupBy(c => (c.ShardId, c.Counter)).Where(g => g.Select(c => c.Worker).Distinct().Count() > 1).ToList();
        Assert.That(conflicts, Is.Empty);
        var final = await _store.ListAsync(stream.Id, "app", CancellationToken.None);
        Assert.That(final, Has.Count.EqualTo(8), "concurrent shard syncs add each lease once");
        Assert.That(final.Select(l => l.Owner), Is.All.Not.Null);
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _nowMs = 1_800_000_000_000;

        public long NowMs => Interlocked.Read(ref _nowMs);

        public void Advance(long ms) => Interlocked.Add(ref _nowMs, ms);

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
    }
}
