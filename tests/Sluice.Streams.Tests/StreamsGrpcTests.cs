using System.Text;
using NUnit.Framework;
using Sluice.Grpc;
using Sluice.Streams.Client;
using Sluice.Streams.V1;

namespace Sluice.Streams.Tests;

/// <summary>The gRPC data plane (sluice.streams.v1.Streams) against a running Streams service, over SQLite and PostgreSQL.</summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
public class StreamsGrpcTests(string storage)
{
    private const string Half = "170141183460469231731687303715884105728";
    private TestServer _server = null!;
    private KinesisCaller _kinesis = null!;
    private StreamsClient _client = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await TestServer.StartAsync(await TestStorage.CreateAsync(storage));
        _kinesis = new KinesisCaller(_server.Endpoint);
        _client = new StreamsClient(_server.GrpcEndpoint ?? throw new InvalidOperationException("no gRPC port"));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client?.Dispose();
        _kinesis?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    private async Task<string> CreateAsync(int shards)
    {
        var name = "g-" + Guid.NewGuid().ToString("N")[..10];
        await _kinesis.OkAsync("CreateStream", new { StreamName = name, ShardCount = shards });
        return name;
    }

    private static IEnumerable<(string, ReadOnlyMemory<byte>)> Records(string prefix, int count, string? key = null) =>
        Enumerable.Range(0, count).Select(i => (key ?? prefix + i, (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(prefix + i)));

    private static string Text(Record r) => r.Data.ToStringUtf8();

    private static StartingPosition At(StartingPosition.Types.Type type, string sequenceNumber = "") => new() { Type = type, SequenceNumber = sequenceNumber };

    /// <summary>Reads events until <paramref name="count"/> records arrived or the shard ended (bounded by a 30 s timeout).</summary>
    private static async Task<(List<Record> Records, SubscribeEvent? End)> CollectAsync(AsyncServerStreamingCall<SubscribeEvent> call, int count, CancellationToken ct)
    {
        var records = new List<Record>();
        while (records.Count < count && await call.ResponseStream.MoveNext(ct))
        {
            records.AddRange(call.ResponseStream.Current.Records);
            if (call.ResponseStream.Current.ShardEnd) return (records, call.ResponseStream.Current);
        }

        return (records, null);
    }

    [Test]
    public async Task PutRecords_appends_durably_and_GetRecords_reads_them_back_in_order()
    {
        var name = await CreateAsync(1);
        var put = await _client.PutRecordsAsync(name, Records("r", 5, key: "same"));

        var read = await _client.GetRecordsAsync(new GetRecordsRequest { StreamName = name, ShardId = "shardId-000000000000", Position = At(StartingPosition.Types.Type.TrimHorizon) });

        Assert.That(put.FailedRecordCount, Is.Zero);
        Assert.That(read.Records.Select(Text), Is.EqualTo(new[] { "r0", "r1", "r2", "r3", "r4" }));
        Assert.That(read.Records.Select(r => r.SequenceNumber), Is.EqualTo(put.Records.Select(r => r.SequenceNumber)));
        Assert.That(read.Records.Select(r => r.PartitionKey), Is.All.EqualTo("same"));
        Assert.That(read.ShardEnd, Is.False);

        var after = await _client.GetRecordsAsync(new GetRecordsRequest { StreamName = name, ShardId = "shardId-000000000000", Position = At(StartingPosition.Types.Type.AtSequenceNumber, read.ContinuationSequenceNumber) });
        Assert.That(after.Records, Is.Empty, "the continuation points past the last record read");
    }

    [Test]
    public async Task Unknown_streams_and_shards_are_NOT_FOUND_and_bad_input_is_INVALID_ARGUMENT()
    {
        var name = await CreateAsync(1);
        var stream = Assert.ThrowsAsync<RpcException>(() => _client.ListShardsAsync("no-such-stream"))!;
        var shard = Assert.ThrowsAsync<RpcException>(() => _client.GetRecordsAsync(new GetRecordsRequest { StreamName = name, ShardId = "shardId-000000000009", Position = At(StartingPosition.Types.Type.TrimHorizon) }))!;
        var empty = Assert.ThrowsAsync<RpcException>(() => _client.PutRecordsAsync(new PutRecordsRequest { StreamName = name }))!;
        var position = Assert.ThrowsAsync<RpcException>(() => _client.GetRecordsAsync(new GetRecordsRequest { StreamName = name, ShardId = "shardId-000000000000", Position = At(StartingPosition.Types.Type.AtSequenceNumber, "12") }))!;

        Assert.That(stream.StatusCode, Is.EqualTo(StatusCode.NotFound));
        Assert.That(stream.Status.Detail, Does.Contain("no-such-stream"));
        Assert.That(shard.StatusCode, Is.EqualTo(StatusCode.NotFound));
        Assert.That(shard.Status.Detail, Does.Contain("shardId-000000000009"));
        Assert.That(empty.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(empty.Status.Detail, Does.Contain("records"));
        Assert.That(position.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = _client.Subscribe(new SubscribeRequest { StreamName = "no-such-stream", ShardId = "shardId-000000000000", Position = At(StartingPosition.Types.Type.Latest) }, timeout.Token);
        var subscribe = Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(timeout.Token))!;
        Assert.That(subscribe.StatusCode, Is.EqualTo(StatusCode.NotFound));
    }

    [Test]
    public async Task Subscribe_sends_empty_heartbeats_while_the_shard_is_quiet()
    {
        var name = await CreateAsync(1);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = _client.Subscribe(new SubscribeRequest { StreamName = name, ShardId = "shardId-000000000000", Position = At(StartingPosition.Types.Type.TrimHorizon), HeartbeatMs = 100 }, timeout.Token);

        var events = new List<SubscribeEvent>();
        for (var i = 0; i < 3 && await call.ResponseStream.MoveNext(timeout.Token); i++) events.Add(call.ResponseStream.Current);

        Assert.That(events, Has.Count.EqualTo(3));
        Assert.That(events.SelectMany(e => e.Records), Is.Empty);
        Assert.That(events.Select(e => e.ContinuationSequenceNumber), Is.All.Not.Empty);
        Assert.That(events.Select(e => e.ShardEnd), Is.All.False);
    }

    [Test]
    public async Task Subscribe_pushes_records_committed_after_it_started()
    {
        var name = await CreateAsync(1);
        await _client.PutRecordsAsync(name, Records("old", 2));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = _client.Subscribe(new SubscribeRequest { StreamName = name, ShardId = "shardId-000000000000", Position = At(StartingPosition.Types.Type.Latest), HeartbeatMs = 100 }, timeout.Token);

        // The first heartbeat shows the subscription is positioned at the tip before anything new is written.
        Assert.That(await call.ResponseStream.MoveNext(timeout.Token), Is.True);
        Assert.That(call.ResponseStream.Current.Records, Is.Empty);
        await _client.PutRecordsAsync(name, Records("new", 3));
        await _client.PutRecordsAsync(name, Records("newer", 2));
        var (records, end) = await CollectAsync(call, 5, timeout.Token);

        Assert.That(records.Select(Text), Is.EqualTo(new[] { "new0", "new1", "new2", "newer0", "newer1" }));
        Assert.That(end, Is.Null);
    }

    [Test]
    public async Task Subscribe_starts_at_or_after_a_sequence_number()
    {
        var name = await CreateAsync(1);
        var put = await _client.PutRecordsAsync(name, Records("r", 4, key: "k"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var at = _client.Subscribe(new SubscribeRequest { StreamName = name, ShardId = "shardId-000000000000", Position = At(StartingPosition.Types.Type.AtSequenceNumber, put.Records[1].SequenceNumber) }, timeout.Token);
        using var after = _client.Subscribe(new SubscribeRequest { StreamName = name, ShardId = "shardId-000000000000", Position = At(StartingPosition.Types.Type.AfterSequenceNumber, put.Records[1].SequenceNumber) }, timeout.Token);

        Assert.That((await CollectAsync(at, 3, timeout.Token)).Records.Select(Text), Is.EqualTo(new[] { "r1", "r2", "r3" }));
        Assert.That((await CollectAsync(after, 2, timeout.Token)).Records.Select(Text), Is.EqualTo(new[] { "r2", "r3" }));
    }

    [Test]
    public async Task Subscribe_to_a_shard_that_is_split_ends_with_its_children()
    {
        var name = await CreateAsync(1);
        await _client.PutRecordsAsync(name, Records("before", 2));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = _client.Subscribe(new SubscribeRequest { StreamName = name, ShardId = "shardId-000000000000", Position = At(StartingPosition.Types.Type.TrimHorizon), HeartbeatMs = 200 }, timeout.Token);
        var (first, _) = await CollectAsync(call, 2, timeout.Token);

        await _kinesis.OkAsync("SplitShard", new { StreamName = name, ShardToSplit = "shardId-000000000000", NewStartingHashKey = Half });
        var (rest, end) = await CollectAsync(call, int.MaxValue, timeout.Token);

        Assert.That(first.Select(Text), Is.EqualTo(new[] { "before0", "before1" }));
        Assert.That(rest, Is.Empty);
        Assert.That(end, Is.Not.Null);
        Assert.That(end!.ContinuationSequenceNumber, Is.Empty);
        Assert.That(end.ChildShards.Select(c => c.ShardId), Is.EqualTo(new[] { "shardId-000000000001", "shardId-000000000002" }));
        Assert.That(end.ChildShards.Select(c => c.ParentShardIds.Single()), Is.All.EqualTo("shardId-000000000000"));
        Assert.That(await call.ResponseStream.MoveNext(timeout.Token), Is.False, "the call ends after the shard's end");

        var shards = await _client.ListShardsAsync(name);
        Assert.That(shards.Shards.Select(s => (s.ShardId, s.Open, s.ParentShardId)), Is.EqualTo(new[]
        {
            ("shardId-000000000000", false, ""),
            ("shardId-000000000001", true, "shardId-000000000000"),
            ("shardId-000000000002", true, "shardId-000000000000"),
        }));
        Assert.That(shards.Shards[0].EndingSequenceNumber, Is.Not.Empty);
    }

    [Test]
    public async Task A_worker_that_lost_its_lease_gets_FAILED_PRECONDITION_on_checkpoint()
    {
        var name = await CreateAsync(1);
        var put = await _client.PutRecordsAsync(name, Records("r", 1));
        var mine = (await _client.TakeLeasesAsync(new TakeLeasesRequest { StreamName = name, ConsumerGroup = "app", WorkerId = "w1", LeaseDurationMs = 1000 })).Leases.Single();
        await _client.ReleaseLeaseAsync(new ReleaseLeaseRequest { StreamName = name, ConsumerGroup = "app", WorkerId = "w1", ShardId = mine.ShardId, LeaseCounter = mine.LeaseCounter });
        var theirs = (await _client.TakeLeasesAsync(new TakeLeasesRequest { StreamName = name, ConsumerGroup = "app", WorkerId = "w2" })).Leases.Single();

        var lost = Assert.ThrowsAsync<RpcException>(() => _client.CheckpointAsync(new CheckpointRequest
        {
            StreamName = name, ConsumerGroup = "app", WorkerId = "w1", ShardId = mine.ShardId, LeaseCounter = mine.LeaseCounter,
            Checkpoint = new ShardCheckpoint { SequenceNumber = put.Records[0].SequenceNumber },
        }))!;
        var kept = await _client.CheckpointAsync(new CheckpointRequest
        {
            StreamName = name, ConsumerGroup = "app", WorkerId = "w2", ShardId = theirs.ShardId, LeaseCounter = theirs.LeaseCounter,
            Checkpoint = new ShardCheckpoint { SequenceNumber = put.Records[0].SequenceNumber, SubSequenceNumber = 2 },
        });
        var early = Assert.ThrowsAsync<RpcException>(() => _client.CheckpointAsync(new CheckpointRequest
        {
            StreamName = name, ConsumerGroup = "app", WorkerId = "w2", ShardId = theirs.ShardId, LeaseCounter = theirs.LeaseCounter,
            Checkpoint = new ShardCheckpoint { ShardEnd = true },
        }))!;

        Assert.That(lost.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(lost.Status.Detail, Does.Contain("Lease lost"));
        Assert.That(kept.Owner, Is.EqualTo("w2"));
        Assert.That(kept.Checkpoint.SubSequenceNumber, Is.EqualTo(2));
        Assert.That(early.StatusCode, Is.EqualTo(StatusCode.InvalidArgument), "an open shard cannot be checkpointed at its end");
        var listed = (await _client.ListLeasesAsync(name, "app")).Leases.Single();
        Assert.That(listed.Checkpoint.SequenceNumber, Is.EqualTo(put.Records[0].SequenceNumber));
    }

    [Test]
    public async Task StreamConsumer_finishes_parents_before_children_after_a_split()
    {
        var name = await CreateAsync(1);
        await _client.PutRecordsAsync(name, Records("parent", 20));
        await _kinesis.OkAsync("SplitShard", new { StreamName = name, ShardToSplit = "shardId-000000000000", NewStartingHashKey = Half });
        await _client.PutRecordsAsync(name, Records("child", 40));
        var seen = new List<(string Shard, string Data)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var consumer = new StreamConsumer(_client, new StreamConsumerOptions { StreamName = name, ConsumerGroup = "app", TakeInterval = TimeSpan.FromMilliseconds(200), MaxBatchRecords = 7 });

        var run = consumer.RunAsync((batch, _) =>
        {
            lock (seen)
            {
                foreach (var r in batch.Records) seen.Add((batch.ShardId, Text(r)));
                if (seen.Count >= 60) stop.Cancel();
            }

            return Task.CompletedTask;
        }, stop.Token);
        await run;

        Assert.That(seen, Has.Count.EqualTo(60));
        var firstChild = seen.FindIndex(s => s.Shard != "shardId-000000000000");
        Assert.That(seen.Take(firstChild).Select(s => s.Data), Is.EqualTo(Enumerable.Range(0, 20).Select(i => "parent" + i)), "the parent, whole and in order, first");
        Assert.That(seen.Skip(firstChild).Select(s => s.Data), Is.EquivalentTo(Enumerable.Range(0, 40).Select(i => "child" + i)));
        var leases = (await _client.ListLeasesAsync(name, "app")).Leases;
        Assert.That(leases.Single(l => l.ShardId == "shardId-000000000000").Checkpoint.ShardEnd, Is.True);
    }

    [Test]
    public async Task StreamConsumer_resumes_after_its_checkpoint_without_handing_out_a_record_twice()
    {
        var name = await CreateAsync(2);
        await _client.PutRecordsAsync(name, Records("a", 30));
        var first = await ConsumeAsync(name, 30);
        await _client.PutRecordsAsync(name, Records("b", 10));
        var second = await ConsumeAsync(name, 10);

        Assert.That(first.Select(s => s.Data), Is.EquivalentTo(Enumerable.Range(0, 30).Select(i => "a" + i)));
        Assert.That(second.Select(s => s.Data), Is.EquivalentTo(Enumerable.Range(0, 10).Select(i => "b" + i)), "a clean stop checkpoints and releases; the next worker starts after it");
    }

    [Test]
    public async Task StreamConsumer_as_an_async_stream_hands_out_every_record_in_order_per_shard()
    {
        var name = await CreateAsync(3);
        var put = await _client.PutRecordsAsync(name, Records("r", 60));
        var seen = new List<Record>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var consumer = new StreamConsumer(_client, new StreamConsumerOptions { StreamName = name, ConsumerGroup = "app", MaxBatchRecords = 5 });

        await foreach (var batch in consumer.ReadAllAsync(stop.Token))
        {
            seen.AddRange(batch.Records);
            if (seen.Count >= 60) break;
        }

        Assert.That(seen.Select(r => r.SequenceNumber), Is.EquivalentTo(put.Records.Select(r => r.SequenceNumber)));
        foreach (var shard in put.Records.Select(r => r.ShardId).Distinct())
        {
            var expected = put.Records.Where(r => r.ShardId == shard).Select(r => r.SequenceNumber).ToList();
            Assert.That(seen.Select(r => r.SequenceNumber).Where(expected.Contains), Is.EqualTo(expected), shard);
        }
    }

    private async Task<List<(string Shard, string Data)>> ConsumeAsync(string name, int expected)
    {
        var seen = new List<(string Shard, string Data)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var consumer = new StreamConsumer(_client, new StreamConsumerOptions { StreamName = name, ConsumerGroup = "app", TakeInterval = TimeSpan.FromMilliseconds(200) });
        await consumer.RunAsync((batch, _) =>
        {
            lock (seen)
            {
                foreach (var r in batch.Records) seen.Add((batch.ShardId, Text(r)));
                if (seen.Count >= expected) stop.Cancel();
            }

            return Task.CompletedTask;
        }, stop.Token);
        return seen;
    }
}
