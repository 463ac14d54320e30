using System.Text;
using NUnit.Framework;

namespace Sluice.Firehose.Tests;

/// <summary>DirectPut: PutRecord and PutRecordBatch are acknowledged only once the records are in the backing stream.</summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
[NonParallelizable]
public class ApiDirectPutTests(string storage)
{
    private TestServer _server = null!;
    private ApiCalls _api = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await TestServer.StartAsync(await TestStorage.CreateAsync(storage));
        _api = new ApiCalls(_server.Endpoint);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _api?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    [Test]
    public async Task PutRecord_appends_the_record_to_the_backing_stream_before_answering()
    {
        await _api.CreateS3Async("put-one");
        var reply = await _api.OkAsync("PutRecord", new { DeliveryStreamName = "put-one", Record = new { Data = Convert.ToBase64String("hello\n"u8.ToArray()) } });
        Assert.That((string?)reply["RecordId"], Is.Not.Empty);
        Assert.That((bool?)reply["Encrypted"], Is.False);
        var stored = await _api.ReadStreamAsync("firehose-put-one");
        Assert.That(stored.Select(Encoding.UTF8.GetString), Is.EqualTo(new[] { "hello\n" }));
    }

    [Test]
    public async Task PutRecordBatch_answers_a_distinct_RecordId_per_record_and_stores_every_record()
    {
        await _api.CreateS3Async("put-batch");
        var records = Enumerable.Range(0, 500).Select(i => new { Data = Convert.ToBase64String(Encoding.UTF8.GetBytes($"r{i}\n")) }).ToArray();
        var reply = await _api.OkAsync("PutRecordBatch", new { DeliveryStreamName = "put-batch", Records = records });
        Assert.That((int?)reply["FailedPutCount"], Is.EqualTo(0));
        var ids = reply["RequestResponses"]!.AsArray().Select(r => (string?)r!["RecordId"]).ToList();
        Assert.That(ids, Has.Count.EqualTo(500));
        Assert.That(ids, Is.Unique);
        Assert.That(ids, Has.None.Null);
        var stored = await _api.ReadStreamAsync("firehose-put-batch");
        Assert.That(stored.Select(Encoding.UTF8.GetString), Is.EquivalentTo(Enumerable.Range(0, 500).Select(i => $"r{i}\n")));
    }

    [Test]
    public async Task PutRecordBatch_rejects_more_than_500_records()
    {
        await _api.CreateS3Async("put-501");
        var records = Enumerable.Range(0, 501).Select(_ => new { Data = "YQ==" }).ToArray();
        var message = await _api.ErrorAsync("PutRecordBatch", new { DeliveryStreamName = "put-501", Records = records }, "ValidationException");
        Assert.That(message, Does.Contain("Member must have length less than or equal to 500"));
    }

    [Test]
    public async Task PutRecordBatch_rejects_more_than_4_MiB_in_all()
    {
        await _api.CreateS3Async("put-big");
        var data = Convert.ToBase64String(new byte[1_000_000]);
        var records = Enumerable.Range(0, 5).Select(_ => new { Data = data }).ToArray();
        var message = await _api.ErrorAsync("PutRecordBatch", new { DeliveryStreamName = "put-big", Records = records }, "InvalidArgumentException");
        Assert.That(message, Does.Contain("4 MiB"));
    }

    [Test]
    public async Task PutRecord_rejects_a_record_over_1024000_bytes()
    {
        await _api.CreateS3Async("put-huge");
        var message = await _api.ErrorAsync("PutRecord", new { DeliveryStreamName = "put-huge", Record = new { Data = Convert.ToBase64String(new byte[1_024_001]) } }, "ValidationException");
        Assert.That(message, Does.Contain("record.data"));
    }

    [Test]
    public async Task PutRecord_on_a_missing_delivery_stream_is_ResourceNotFoundException()
    {
        var message = await _api.ErrorAsync("PutRecord", new { DeliveryStreamName = "nope", Record = new { Data = "YQ==" } }, "ResourceNotFoundException");
        Assert.That(message, Is.EqualTo("Firehose nope under account 000000000000 not found."));
    }

    [Test]
    public async Task Put_on_a_KinesisStreamAsSource_delivery_stream_is_InvalidArgumentException()
    {
        await _api.Kinesis.OkAsync("CreateStream", new { StreamName = "put-source", ShardCount = 1 });
        await _api.OkAsync("CreateDeliveryStream", new
        {
            DeliveryStreamName = "from-kinesis",
            DeliveryStreamType = "KinesisStreamAsSource",
            KinesisStreamSourceConfiguration = new { KinesisStreamARN = "arn:aws:kinesis:us-east-1:000000000000:stream/put-source", RoleARN = ApiCalls.Role },
            ExtendedS3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket },
        });
        await _api.ErrorAsync("PutRecord", new { DeliveryStreamName = "from-kinesis", Record = new { Data = "YQ==" } }, "InvalidArgumentException");
        await _api.ErrorAsync("PutRecordBatch", new { DeliveryStreamName = "from-kinesis", Records = new[] { new { Data = "YQ==" } } }, "InvalidArgumentException");
    }

    [Test]
    public async Task Deleting_a_delivery_stream_deletes_its_backing_stream()
    {
        await _api.CreateS3Async("put-then-delete");
        await _api.Kinesis.OkAsync("DescribeStreamSummary", new { StreamName = "firehose-put-then-delete" });
        await _api.OkAsync("DeleteDeliveryStream", new { DeliveryStreamName = "put-then-delete" });
        await _api.Kinesis.ErrorAsync("DescribeStreamSummary", new { StreamName = "firehose-put-then-delete" }, "ResourceNotFoundException");
        await _api.ErrorAsync("DescribeDeliveryStream", new { DeliveryStreamName = "put-then-delete" }, "ResourceNotFoundException");
    }
}
