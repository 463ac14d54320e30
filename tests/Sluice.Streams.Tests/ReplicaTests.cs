using NUnit.Framework;
using Sluice.Hosting;
using Sluice.Streams.Catalog;
using Sluice.Streams.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Sluice.Streams.Tests;

/// <summary>Two replicas of the Streams service over one PostgreSQL database stay in step through LISTEN/NOTIFY.</summary>
public class ReplicaTests
{
    private TestServer _a = null!;
    private TestServer _b = null!;
    private KinesisCaller _kinesisA = null!;
    private KinesisCaller _kinesisB = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        var first = await TestStorage.CreateAsync(TestStorage.Postgres);
        var second = new SluiceSettings { Storage = StorageKind.Postgres, Postgres = first.Postgres, DataDir = first.DataDir };
        _a = await TestServer.StartAsync(first);
        _b = await TestServer.StartAsync(second);
        _kinesisA = new KinesisCaller(_a.Endpoint);
        _kinesisB = new KinesisCaller(_b.Endpoint);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _kinesisA?.Dispose();
        _kinesisB?.Dispose();
        if (_a is not null) await _a.DisposeAsync();
        if (_b is not null) await _b.DisposeAsync();
    }

    private static string NewName() => "r-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Polls a replica until the condition holds; bounded at 20 s.</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition()) return true;
            await Task.Delay(100);
        }

        return false;
    }

    [Test]
    public async Task A_stream_created_on_one_replica_is_served_by_the_other()
    {
        var name = NewName();
        await _kinesisA.OkAsync("CreateStream", new { StreamName = name, ShardCount = 2 });
        Assert.That(await EventuallyAsync(async () => (await _kinesisB.CallAsync("DescribeStreamSummary", new { StreamName = name })).Status == 200), Is.True,
            "replica B never learned of the stream");

        var put = await _kinesisB.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "k", Data = "aGVsbG8=" });
        var iterator = (string?)(await _kinesisA.OkAsync("GetShardIterator", new { StreamName = name, ShardId = (string?)put["ShardId"], ShardIteratorType = "TRIM_HORIZON" }))["ShardIterator"];
        var records = (await _kinesisA.OkAsync("GetRecords", new { ShardIterator = iterator }))["Records"]!.AsArray();
        Assert.That(records.Select(r => (string?)r!["SequenceNumber"]), Is.EqualTo(new[] { (string?)put["SequenceNumber"] }));

        await _kinesisA.OkAsync("DeleteStream", new { StreamName = name });
        Assert.That(await EventuallyAsync(async () => (await _kinesisB.CallAsync("DescribeStreamSummary", new { StreamName = name })).Status == 400), Is.True,
            "replica B still serves the deleted stream");
    }

    [Test]
    public async Task An_append_on_one_replica_wakes_the_shard_s_waiters_on_the_other()
    {
        var name = NewName();
        await _kinesisA.OkAsync("CreateStream", new { StreamName = name, ShardCount = 1 });
        Assert.That(await EventuallyAsync(async () => (await _kinesisB.CallAsync("DescribeStreamSummary", new { StreamName = name })).Status == 200), Is.True);
        var stream = _b.Services.GetRequiredService<StreamCatalog>().Get(name);
        var signal = _b.Services.GetRequiredService<ShardSignals>().For(stream.Id, 0);
        var seen = signal.Version;

        await _kinesisA.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "k", Data = "aGVsbG8=" });

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await signal.WaitAsync(seen, bound.Token);
        Assert.That(signal.Version, Is.Not.EqualTo(seen));
    }

    [Test]
    public async Task A_reshard_on_one_replica_closes_the_parent_on_the_other()
    {
        var name = NewName();
        await _kinesisA.OkAsync("CreateStream", new { StreamName = name, ShardCount = 1 });
        Assert.That(await EventuallyAsync(async () => (await _kinesisB.CallAsync("DescribeStreamSummary", new { StreamName = name })).Status == 200), Is.True);
        var parent = _b.Services.GetRequiredService<StreamCatalog>().Get(name).FindShard(0)!;

        await _kinesisA.OkAsync("SplitShard", new { StreamName = name, ShardToSplit = "shardId-000000000000", NewStartingHashKey = "170141183460469231731687303715884105728" });

        Assert.That(await EventuallyAsync(() => Task.FromResult(parent.EndRecordIndex is not null)), Is.True, "the shard object B's readers hold never closed");
        var shards = (await _kinesisB.OkAsync("ListShards", new { StreamName = name }))["Shards"]!.AsArray();
        Assert.That(shards, Has.Count.EqualTo(3));
        var put = await _kinesisB.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "k", Data = "aGVsbG8=" });
        Assert.That((string?)put["ShardId"], Is.Not.EqualTo("shardId-000000000000"));
    }
}
