using NUnit.Framework;
using Sluice.Hosting;

namespace Sluice.Firehose.Tests;

/// <summary>Two Firehose replicas over one PostgreSQL see each other's delivery streams and never lose an update.</summary>
[TestFixture]
[NonParallelizable]
public class ApiReplicaTests
{
    private TestServer _a = null!;
    private TestServer _b = null!;
    private ApiCalls _apiA = null!;
    private ApiCalls _apiB = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        var first = await TestStorage.CreateAsync(TestStorage.Postgres);
        var second = new SluiceSettings { Storage = StorageKind.Postgres, Postgres = first.Postgres, DataDir = first.DataDir };
        _a = await TestServer.StartAsync(first);
        _b = await TestServer.StartAsync(second);
        _apiA = new ApiCalls(_a.Endpoint);
        _apiB = new ApiCalls(_b.Endpoint);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _apiA?.Dispose();
        _apiB?.Dispose();
        if (_b is not null) await _b.DisposeAsync();
        if (_a is not null) await _a.DisposeAsync();
    }

    [Test]
    public async Task A_delivery_stream_created_on_one_replica_reaches_the_others_directory()
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var directoryB = _b.Services.GetDirectory();
        void OnChanged()
        {
            if (directoryB.Active.Any(s => s.Name == "shared")) changed.TrySetResult();
        }

        directoryB.Changed += OnChanged;
        try
        {
            await _apiA.CreateS3Async("shared");
            // Another replica answers at once (an unknown name is looked up in the store)...
            Assert.That((string?)(await _apiB.DescribeAsync("shared"))["DeliveryStreamStatus"], Is.EqualTo("ACTIVE"));
            await _apiB.OkAsync("PutRecord", new { DeliveryStreamName = "shared", Record = new { Data = "YQ==" } });
            // ...and its delivery loops hear of it.
            Assert.That(await Task.WhenAny(changed.Task, Task.Delay(TimeSpan.FromSeconds(30))), Is.SameAs(changed.Task), "replica B never saw the new delivery stream");
        }
        finally
        {
            directoryB.Changed -= OnChanged;
        }

        await _apiA.OkAsync("DeleteDeliveryStream", new { DeliveryStreamName = "shared" });
        for (var i = 0; i < 300 && directoryB.Active.Any(s => s.Name == "shared"); i++) await Task.Delay(100);
        Assert.That(directoryB.Active.Select(s => s.Name), Has.No.Member("shared"));
    }

    [Test]
    public async Task UpdateDestination_with_a_version_another_replica_already_moved_past_is_ConcurrentModificationException()
    {
        await _apiA.CreateS3Async("contended");
        await _apiA.DescribeAsync("contended");
        await _apiB.DescribeAsync("contended");
        object Update(string prefix) => new
        {
            DeliveryStreamName = "contended",
            CurrentDeliveryStreamVersionId = "1",
            DestinationId = "destinationId-000000000001",
            ExtendedS3DestinationUpdate = new { Prefix = prefix },
        };

        await _apiB.OkAsync("UpdateDestination", Update("from-b/"));
        // Replica A may not have re-read the store yet; its stale copy must not let the update through.
        await _apiA.ErrorAsync("UpdateDestination", Update("from-a/"), "ConcurrentModificationException");
        var description = await _apiA.DescribeAsync("contended");
        Assert.That((string?)description["VersionId"], Is.EqualTo("2"));
        Assert.That((string?)description["Destinations"]![0]!["ExtendedS3DestinationDescription"]!["Prefix"], Is.EqualTo("from-b/"));
    }
}
