using System.Numerics;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Streams.Tests;

/// <summary>Operation behaviour, against each store: SQLite (embedded) and the real PostgreSQL.</summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
public class StreamApiTests(string storage)
{
    private TestServer _server = null!;
    private KinesisCaller _kinesis = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        var settings = await TestStorage.CreateAsync(storage);
        settings.ShardLimit = 60;
        _server = await TestServer.StartAsync(settings);
        _kinesis = new KinesisCaller(_server.Endpoint);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _kinesis?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    private static string NewName() => "s-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<string> CreateAsync(int shards)
    {
        var name = NewName();
        await _kinesis.OkAsync("CreateStream", new { StreamName = name, ShardCount = shards });
        return name;
    }

    private async Task<List<JsonNode>> ReadAllAsync(string stream, string shardId)
    {
        var iterator = (string?)(await _kinesis.OkAsync("GetShardIterator", new { StreamName = stream, ShardId = shardId, ShardIteratorType = "TRIM_HORIZON" }))["ShardIterator"];
        var records = new List<JsonNode>();
        for (var i = 0; i < 100 && iterator is not null; i++)
        {
            var page = await _kinesis.OkAsync("GetRecords", new { ShardIterator = iterator });
            var got = page["Records"]!.AsArray();
            records.AddRange(got.Select(r => r!));
            iterator = (string?)page["NextShardIterator"];
            if (got.Count == 0) break;
        }

        return records;
    }

    [Test]
    public async Task CreateStream_makes_an_active_stream_with_even_shards()
    {
        var name = await CreateAsync(4);
        var description = (await _kinesis.OkAsync("DescribeStream", new { StreamName = name }))["StreamDescription"]!;
        Assert.That((string?)description["StreamStatus"], Is.EqualTo("ACTIVE"));
        Assert.That((string?)description["StreamARN"], Is.EqualTo($"arn:aws:kinesis:us-east-1:000000000000:stream/{name}"));
        var shards = description["Shards"]!.AsArray();
        Assert.That(shards.Select(s => (string?)s!["ShardId"]), Is.EqualTo(new[] { "shardId-000000000000", "shardId-000000000001", "shardId-000000000002", "shardId-000000000003" }));
        Assert.That((string?)shards[1]!["HashKeyRange"]!["StartingHashKey"], Is.EqualTo("85070591730234615865843651857942052864"));
        Assert.That((int?)description["RetentionPeriodHours"], Is.EqualTo(24));
        Assert.That((bool?)description["HasMoreShards"], Is.False);
    }

    [Test]
    public async Task CreateStream_refuses_an_existing_name()
    {
        var name = await CreateAsync(1);
        var message = await _kinesis.ErrorAsync("CreateStream", new { StreamName = name, ShardCount = 1 }, "ResourceInUseException");
        Assert.That(message, Is.EqualTo($"Stream {name} under account 000000000000 already exists."));
    }

    [Test]
    public async Task CreateStream_refuses_to_exceed_the_shard_limit()
    {
        var message = await _kinesis.ErrorAsync("CreateStream", new { StreamName = NewName(), ShardCount = 61 }, "LimitExceededException");
        Assert.That(message, Does.StartWith("This request would exceed the shard limit for the account 000000000000 in us-east-1."));
    }

    [Test]
    public async Task CreateStream_on_demand_needs_no_shard_count()
    {
        var name = NewName();
        await _kinesis.OkAsync("CreateStream", new { StreamName = name, StreamModeDetails = new { StreamMode = "ON_DEMAND" } });
        var summary = (await _kinesis.OkAsync("DescribeStreamSummary", new { StreamName = name }))["StreamDescriptionSummary"]!;
        Assert.That((string?)summary["StreamModeDetails"]!["StreamMode"], Is.EqualTo("ON_DEMAND"));
        Assert.That((int?)summary["OpenShardCount"], Is.EqualTo(4));
        await _kinesis.ErrorAsync("SplitShard", new { StreamName = name, ShardToSplit = "shardId-000000000000", NewStartingHashKey = "10" }, "ValidationException");
    }

    [Test]
    public async Task CreateStream_provisioned_without_shard_count_is_invalid()
    {
        var message = await _kinesis.ErrorAsync("CreateStream", new { StreamName = NewName() }, "ValidationException");
        Assert.That(message, Does.Contain("'shardCount'"));
    }

    [Test]
    public async Task Records_put_are_read_back_in_order_per_shard()
    {
        var name = await CreateAsync(2);
        var sent = new Dictionary<string, List<(string Key, string Data)>>();
        for (var i = 0; i < 40; i++)
        {
            var key = "key-" + (i % 7);
            var data = Convert.ToBase64String(new byte[] { (byte)i, 0xff, 0x00, (byte)(i * 3) });
            var put = await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = key, Data = data });
            var shard = (string)put["ShardId"]!;
            if (!sent.TryGetValue(shard, out var list)) sent[shard] = list = [];
            list.Add((key, data));
        }

        Assert.That(sent.Keys, Has.Count.EqualTo(2), "seven keys should spread over both shards");
        foreach (var (shard, expected) in sent)
        {
            var records = await ReadAllAsync(name, shard);
            Assert.That(records.Select(r => ((string)r["PartitionKey"]!, (string)r["Data"]!)), Is.EqualTo(expected));
            var numbers = records.Select(r => BigInteger.Parse((string)r["SequenceNumber"]!)).ToList();
            Assert.That(numbers, Is.Ordered.Ascending);
            Assert.That(numbers.Distinct().Count(), Is.EqualTo(numbers.Count));
        }
    }

    [Test]
    public async Task PutRecord_routes_by_explicit_hash_key()
    {
        var name = await CreateAsync(2);
        var low = await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "x", Data = "AA==", ExplicitHashKey = "0" });
        var high = await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "x", Data = "AA==", ExplicitHashKey = "340282366920938463463374607431768211455" });
        Assert.That((string?)low["ShardId"], Is.EqualTo("shardId-000000000000"));
        Assert.That((string?)high["ShardId"], Is.EqualTo("shardId-000000000001"));
        var message = await _kinesis.ErrorAsync("PutRecord", new { StreamName = name, PartitionKey = "x", Data = "AA==", ExplicitHashKey = "340282366920938463463374607431768211456" }, "InvalidArgumentException");
        Assert.That(message, Does.StartWith("Invalid ExplicitHashKey."));
    }

    [Test]
    public async Task PutRecord_to_a_missing_stream_is_not_found()
    {
        var message = await _kinesis.ErrorAsync("PutRecord", new { StreamName = "nope", PartitionKey = "a", Data = "AA==" }, "ResourceNotFoundException");
        Assert.That(message, Is.EqualTo("Stream nope under account 000000000000 not found."));
    }

    [Test]
    public async Task PutRecords_answers_each_entry_in_order()
    {
        var name = await CreateAsync(3);
        var entries = Enumerable.Range(0, 500).Select(i => new { Data = Convert.ToBase64String(BitConverter.GetBytes(i)), PartitionKey = "p" + i }).ToArray();
        var reply = await _kinesis.OkAsync("PutRecords", new { StreamName = name, Records = entries });
        Assert.That((int?)reply["FailedRecordCount"], Is.EqualTo(0));
        var results = reply["Records"]!.AsArray();
        Assert.That(results, Has.Count.EqualTo(500));
        Assert.That(results.All(r => r!["SequenceNumber"] is not null && r["ShardId"] is not null));
        var total = 0;
        foreach (var shard in new[] { "shardId-000000000000", "shardId-000000000001", "shardId-000000000002" }) total += (await ReadAllAsync(name, shard)).Count;
        Assert.That(total, Is.EqualTo(500));
    }

    [Test]
    public async Task PutRecords_refuses_more_than_500_records()
    {
        var name = await CreateAsync(1);
        var entries = Enumerable.Range(0, 501).Select(i => new { Data = "AA==", PartitionKey = "p" }).ToArray();
        var message = await _kinesis.ErrorAsync("PutRecords", new { StreamName = name, Records = entries }, "ValidationException");
        Assert.That(message, Does.Contain("Member must have length less than or equal to 500"));
    }

    [Test]
    public async Task PutRecords_refuses_a_record_over_1_MiB()
    {
        var name = await CreateAsync(1);
        var data = Convert.ToBase64String(new byte[1024 * 1024 + 1]);
        var message = await _kinesis.ErrorAsync("PutRecords", new { StreamName = name, Records = new[] { new { Data = data, PartitionKey = "p" } } }, "ValidationException");
        Assert.That(message, Does.Contain("at 'records.1.member.data'"));
    }

    [Test]
    public async Task GetShardIterator_types_position_as_documented()
    {
        var name = await CreateAsync(1);
        var sequences = new List<string>();
        for (var i = 0; i < 5; i++) sequences.Add((string)(await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "k", Data = Convert.ToBase64String([(byte)i]) }))["SequenceNumber"]!);

        async Task<List<string>> Read(object request)
        {
            var iterator = (string)(await _kinesis.OkAsync("GetShardIterator", request))["ShardIterator"]!;
            var page = await _kinesis.OkAsync("GetRecords", new { ShardIterator = iterator });
            return page["Records"]!.AsArray().Select(r => (string)r!["SequenceNumber"]!).ToList();
        }

        const string shard = "shardId-000000000000";
        Assert.That(await Read(new { StreamName = name, ShardId = shard, ShardIteratorType = "AT_SEQUENCE_NUMBER", StartingSequenceNumber = sequences[2] }), Is.EqualTo(sequences[2..]));
        Assert.That(await Read(new { StreamName = name, ShardId = shard, ShardIteratorType = "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber = sequences[2] }), Is.EqualTo(sequences[3..]));
        Assert.That(await Read(new { StreamName = name, ShardId = shard, ShardIteratorType = "LATEST" }), Is.Empty);
        Assert.That(await Read(new { StreamName = name, ShardId = "0", ShardIteratorType = "TRIM_HORIZON" }), Is.EqualTo(sequences));
        Assert.That(await Read(new { StreamName = name, ShardId = shard, ShardIteratorType = "AT_TIMESTAMP", Timestamp = 1.0 }), Is.EqualTo(sequences));

        var latest = (string)(await _kinesis.OkAsync("GetShardIterator", new { StreamName = name, ShardId = shard, ShardIteratorType = "LATEST" }))["ShardIterator"]!;
        var after = (string)(await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "k", Data = "AQ==" }))["SequenceNumber"]!;
        var fromLatest = await _kinesis.OkAsync("GetRecords", new { ShardIterator = latest });
        Assert.That(fromLatest["Records"]!.AsArray().Select(r => (string)r!["SequenceNumber"]!), Is.EqualTo(new[] { after }));
    }

    [Test]
    public async Task GetShardIterator_refuses_inconsistent_arguments()
    {
        var name = await CreateAsync(2);
        var seq = (string)(await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "k", Data = "AA==", ExplicitHashKey = "0" }))["SequenceNumber"]!;
        var message = await _kinesis.ErrorAsync("GetShardIterator", new { StreamName = name, ShardId = "shardId-000000000000", ShardIteratorType = "LATEST", StartingSequenceNumber = seq }, "InvalidArgumentException");
        Assert.That(message, Does.EndWith("Request specified LATEST and also a StartingSequenceNumber."));
        message = await _kinesis.ErrorAsync("GetShardIterator", new { StreamName = name, ShardId = "shardId-000000000001", ShardIteratorType = "AT_SEQUENCE_NUMBER", StartingSequenceNumber = seq }, "InvalidArgumentException");
        Assert.That(message, Is.EqualTo("Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used in a call to a shard with shardId-000000000001"));
        await _kinesis.ErrorAsync("GetShardIterator", new { StreamName = name, ShardId = "shardId-000000000000", ShardIteratorType = "AT_SEQUENCE_NUMBER", StartingSequenceNumber = "12345" }, "InvalidArgumentException");
        await _kinesis.ErrorAsync("GetShardIterator", new { StreamName = name, ShardId = "shardId-000000000009", ShardIteratorType = "LATEST" }, "ResourceNotFoundException");
        await _kinesis.ErrorAsync("GetShardIterator", new { StreamName = name, ShardId = "shardId-000000000000", ShardIteratorType = "AT_TIMESTAMP" }, "InvalidArgumentException");
    }

    [Test]
    public async Task GetRecords_rejects_forged_iterators()
    {
        var message = await _kinesis.ErrorAsync("GetRecords", new { ShardIterator = "AAAAAAAAAAEZm9yZ2VkIGl0ZXJhdG9yIHRoYXQgaXMgbG9uZyBlbm91Z2ggdG8gcGFzcw==" }, "InvalidArgumentException");
        Assert.That(message, Is.EqualTo("Invalid ShardIterator."));
    }

    [Test]
    public async Task GetRecords_honours_limit_and_continues_from_the_next_iterator()
    {
        var name = await CreateAsync(1);
        var entries = Enumerable.Range(0, 25).Select(i => new { Data = Convert.ToBase64String([(byte)i]), PartitionKey = "k" }).ToArray();
        await _kinesis.OkAsync("PutRecords", new { StreamName = name, Records = entries });
        var iterator = (string)(await _kinesis.OkAsync("GetShardIterator", new { StreamName = name, ShardId = "shardId-000000000000", ShardIteratorType = "TRIM_HORIZON" }))["ShardIterator"]!;
        var first = await _kinesis.OkAsync("GetRecords", new { ShardIterator = iterator, Limit = 10 });
        Assert.That(first["Records"]!.AsArray(), Has.Count.EqualTo(10));
        var second = await _kinesis.OkAsync("GetRecords", new { ShardIterator = (string)first["NextShardIterator"]!, Limit = 100 });
        Assert.That(second["Records"]!.AsArray().Select(r => Convert.FromBase64String((string)r!["Data"]!)[0]), Is.EqualTo(Enumerable.Range(10, 15).Select(i => (byte)i)));
        Assert.That((long?)second["MillisBehindLatest"], Is.EqualTo(0));
        // An old iterator stays usable: AWS does not invalidate it.
        var again = await _kinesis.OkAsync("GetRecords", new { ShardIterator = iterator, Limit = 3 });
        Assert.That(again["Records"]!.AsArray(), Has.Count.EqualTo(3));
    }

    [Test]
    public async Task SplitShard_closes_the_parent_and_children_take_new_records()
    {
        var name = await CreateAsync(1);
        await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "before", Data = "AA==" });
        await _kinesis.OkAsync("SplitShard", new { StreamName = name, ShardToSplit = "shardId-000000000000", NewStartingHashKey = "170141183460469231731687303715884105728" });
        var shards = (await _kinesis.OkAsync("ListShards", new { StreamName = name }))["Shards"]!.AsArray();
        Assert.That(shards, Has.Count.EqualTo(3));
        Assert.That(shards[0]!["SequenceNumberRange"]!["EndingSequenceNumber"], Is.Not.Null);
        Assert.That((string?)shards[1]!["ParentShardId"], Is.EqualTo("shardId-000000000000"));
        Assert.That((string?)shards[1]!["HashKeyRange"]!["EndingHashKey"], Is.EqualTo("170141183460469231731687303715884105727"));
        Assert.That((string?)shards[2]!["HashKeyRange"]!["StartingHashKey"], Is.EqualTo("170141183460469231731687303715884105728"));

        var after = await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "after", Data = "AQ==" });
        Assert.That((string?)after["ShardId"], Is.AnyOf("shardId-000000000001", "shardId-000000000002"));

        var iterator = (string)(await _kinesis.OkAsync("GetShardIterator", new { StreamName = name, ShardId = "shardId-000000000000", ShardIteratorType = "TRIM_HORIZON" }))["ShardIterator"]!;
        var page = await _kinesis.OkAsync("GetRecords", new { ShardIterator = iterator });
        Assert.That(page["Records"]!.AsArray(), Has.Count.EqualTo(1));
        Assert.That(page["NextShardIterator"], Is.Null, "the parent is finished");
        var children = page["ChildShards"]!.AsArray();
        Assert.That(children.Select(c => (string?)c!["ShardId"]), Is.EqualTo(new[] { "shardId-000000000001", "shardId-000000000002" }));
        Assert.That(children[0]!["ParentShards"]!.AsArray().Select(p => (string?)p), Is.EqualTo(new[] { "shardId-000000000000" }));
        Assert.That(BigInteger.Parse((string)after["SequenceNumber"]!), Is.GreaterThan(BigInteger.Parse((string)shards[0]!["SequenceNumberRange"]!["EndingSequenceNumber"]!)));

        await _kinesis.ErrorAsync("SplitShard", new { StreamName = name, ShardToSplit = "shardId-000000000000", NewStartingHashKey = "5" }, "ResourceInUseException");
        await _kinesis.ErrorAsync("SplitShard", new { StreamName = name, ShardToSplit = "shardId-000000000001", NewStartingHashKey = "1" }, "InvalidArgumentException");
    }

    [Test]
    public async Task MergeShards_joins_adjacent_shards_only()
    {
        var name = await CreateAsync(3);
        await _kinesis.ErrorAsync("MergeShards", new { StreamName = name, ShardToMerge = "shardId-000000000000", AdjacentShardToMerge = "shardId-000000000002" }, "InvalidArgumentException");
        await _kinesis.OkAsync("MergeShards", new { StreamName = name, ShardToMerge = "shardId-000000000001", AdjacentShardToMerge = "shardId-000000000000" });
        var open = (await _kinesis.OkAsync("ListShards", new { StreamName = name, ShardFilter = new { Type = "AT_LATEST" } }))["Shards"]!.AsArray();
        Assert.That(open.Select(s => (string?)s!["ShardId"]), Is.EqualTo(new[] { "shardId-000000000002", "shardId-000000000003" }));
        var merged = open[1]!;
        Assert.That((string?)merged["ParentShardId"], Is.EqualTo("shardId-000000000001"));
        Assert.That((string?)merged["AdjacentParentShardId"], Is.EqualTo("shardId-000000000000"));
        Assert.That((string?)merged["HashKeyRange"]!["StartingHashKey"], Is.EqualTo("0"));
    }

    [Test]
    public async Task UpdateShardCount_reshapes_uniformly_within_the_rules()
    {
        var name = await CreateAsync(2);
        var reply = await _kinesis.OkAsync("UpdateShardCount", new { StreamName = name, TargetShardCount = 4, ScalingType = "UNIFORM_SCALING" });
        Assert.That((int?)reply["CurrentShardCount"], Is.EqualTo(2));
        Assert.That((int?)reply["TargetShardCount"], Is.EqualTo(4));
        var open = (await _kinesis.OkAsync("ListShards", new { StreamName = name, ShardFilter = new { Type = "AT_LATEST" } }))["Shards"]!.AsArray();
        Assert.That(open, Has.Count.EqualTo(4));
        Assert.That(open.All(s => s!["ParentShardId"] is not null));
        await _kinesis.ErrorAsync("UpdateShardCount", new { StreamName = name, TargetShardCount = 9, ScalingType = "UNIFORM_SCALING" }, "LimitExceededException");
        await _kinesis.ErrorAsync("UpdateShardCount", new { StreamName = name, TargetShardCount = 1, ScalingType = "UNIFORM_SCALING" }, "LimitExceededException");
    }

    [Test]
    public async Task ListShards_pages_with_max_results_and_next_token()
    {
        var name = await CreateAsync(5);
        var first = await _kinesis.OkAsync("ListShards", new { StreamName = name, MaxResults = 2 });
        Assert.That(first["Shards"]!.AsArray(), Has.Count.EqualTo(2));
        var token = (string)first["NextToken"]!;
        await _kinesis.ErrorAsync("ListShards", new { StreamName = name, NextToken = token }, "InvalidArgumentException");
        var second = await _kinesis.OkAsync("ListShards", new { NextToken = token, MaxResults = 10 });
        Assert.That(second["Shards"]!.AsArray().Select(s => (string?)s!["ShardId"]), Is.EqualTo(new[] { "shardId-000000000002", "shardId-000000000003", "shardId-000000000004" }));
        Assert.That(second["NextToken"], Is.Null);
        var after = await _kinesis.OkAsync("ListShards", new { StreamName = name, ShardFilter = new { Type = "AFTER_SHARD_ID", ShardId = "shardId-000000000003" } });
        Assert.That(after["Shards"]!.AsArray().Select(s => (string?)s!["ShardId"]), Is.EqualTo(new[] { "shardId-000000000004" }));
    }

    [Test]
    public async Task ListStreams_is_sorted_and_paged()
    {
        var names = new List<string>();
        for (var i = 0; i < 3; i++) names.Add(await CreateAsync(1));
        var all = new List<string>();
        string? token = null;
        for (var guard = 0; guard < 100; guard++)
        {
            var page = token is null ? await _kinesis.OkAsync("ListStreams", new { Limit = 2 }) : await _kinesis.OkAsync("ListStreams", new { NextToken = token, Limit = 2 });
            all.AddRange(page["StreamNames"]!.AsArray().Select(n => (string)n!));
            Assert.That(page["StreamSummaries"]!.AsArray(), Has.Count.EqualTo(page["StreamNames"]!.AsArray().Count));
            if ((bool)page["HasMoreStreams"]! == false) break;
            token = (string)page["NextToken"]!;
        }

        Assert.That(all, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        Assert.That(all, Is.SupersetOf(names));
    }

    [Test]
    public async Task Retention_moves_only_in_the_named_direction()
    {
        var name = await CreateAsync(1);
        await _kinesis.OkAsync("IncreaseStreamRetentionPeriod", new { StreamName = name, RetentionPeriodHours = 48 });
        var message = await _kinesis.ErrorAsync("IncreaseStreamRetentionPeriod", new { StreamName = name, RetentionPeriodHours = 30 }, "InvalidArgumentException");
        Assert.That(message, Does.Contain("can not be shorter than existing retention period (48 hours)"));
        await _kinesis.ErrorAsync("DecreaseStreamRetentionPeriod", new { StreamName = name, RetentionPeriodHours = 12 }, "InvalidArgumentException");
        await _kinesis.OkAsync("DecreaseStreamRetentionPeriod", new { StreamName = name, RetentionPeriodHours = 24 });
        var summary = (await _kinesis.OkAsync("DescribeStreamSummary", new { StreamName = name }))["StreamDescriptionSummary"]!;
        Assert.That((int?)summary["RetentionPeriodHours"], Is.EqualTo(24));
    }

    [Test]
    public async Task Tags_are_added_listed_in_key_order_and_removed()
    {
        var name = await CreateAsync(1);
        await _kinesis.OkAsync("AddTagsToStream", new { StreamName = name, Tags = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1", ["c"] = "" } });
        var listed = await _kinesis.OkAsync("ListTagsForStream", new { StreamName = name, Limit = 2 });
        Assert.That(listed["Tags"]!.AsArray().Select(t => (string?)t!["Key"]), Is.EqualTo(new[] { "a", "b" }));
        Assert.That((bool?)listed["HasMoreTags"], Is.True);
        await _kinesis.OkAsync("RemoveTagsFromStream", new { StreamName = name, TagKeys = new[] { "a", "zz" } });
        listed = await _kinesis.OkAsync("ListTagsForStream", new { StreamName = name });
        Assert.That(listed["Tags"]!.AsArray().Select(t => (string?)t!["Key"]), Is.EqualTo(new[] { "b", "c" }));
        var tooMany = Enumerable.Range(0, 51).ToDictionary(i => "k" + i, i => "v");
        await _kinesis.ErrorAsync("AddTagsToStream", new { StreamName = name, Tags = tooMany }, "LimitExceededException");
    }

    [Test]
    public async Task Consumers_register_describe_list_and_deregister()
    {
        var name = await CreateAsync(1);
        var arn = $"arn:aws:kinesis:us-east-1:000000000000:stream/{name}";
        var consumer = (await _kinesis.OkAsync("RegisterStreamConsumer", new { StreamARN = arn, ConsumerName = "app" }))["Consumer"]!;
        var consumerArn = (string)consumer["ConsumerARN"]!;
        Assert.That(consumerArn, Does.StartWith(arn + "/consumer/app:"));
        await _kinesis.ErrorAsync("RegisterStreamConsumer", new { StreamARN = arn, ConsumerName = "app" }, "ResourceInUseException");
        var described = (await _kinesis.OkAsync("DescribeStreamConsumer", new { ConsumerARN = consumerArn }))["ConsumerDescription"]!;
        Assert.That((string?)described["ConsumerStatus"], Is.EqualTo("ACTIVE"));
        Assert.That((string?)described["StreamARN"], Is.EqualTo(arn));
        var listed = await _kinesis.OkAsync("ListStreamConsumers", new { StreamARN = arn });
        Assert.That(listed["Consumers"]!.AsArray().Select(c => (string?)c!["ConsumerName"]), Is.EqualTo(new[] { "app" }));
        await _kinesis.ErrorAsync("DeleteStream", new { StreamName = name }, "ResourceInUseException");
        await _kinesis.OkAsync("DeregisterStreamConsumer", new { StreamARN = arn, ConsumerName = "app" });
        await _kinesis.ErrorAsync("DescribeStreamConsumer", new { ConsumerARN = consumerArn }, "ResourceNotFoundException");
        await _kinesis.OkAsync("DeleteStream", new { StreamName = name });
    }

    [Test]
    public async Task Encryption_monitoring_and_mode_are_stored_and_reported()
    {
        var name = await CreateAsync(1);
        await _kinesis.OkAsync("StartStreamEncryption", new { StreamName = name, EncryptionType = "KMS", KeyId = "alias/aws/kinesis" });
        var put = await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "k", Data = "AA==" });
        Assert.That((string?)put["EncryptionType"], Is.EqualTo("KMS"));
        var monitoring = await _kinesis.OkAsync("EnableEnhancedMonitoring", new { StreamName = name, ShardLevelMetrics = new[] { "ALL" } });
        Assert.That(monitoring["DesiredShardLevelMetrics"]!.AsArray(), Has.Count.EqualTo(7));
        monitoring = await _kinesis.OkAsync("DisableEnhancedMonitoring", new { StreamName = name, ShardLevelMetrics = new[] { "IncomingBytes" } });
        Assert.That(monitoring["DesiredShardLevelMetrics"]!.AsArray(), Has.Count.EqualTo(6));
        await _kinesis.OkAsync("UpdateStreamMode", new { StreamARN = $"arn:aws:kinesis:us-east-1:000000000000:stream/{name}", StreamModeDetails = new { StreamMode = "ON_DEMAND" } });
        var summary = (await _kinesis.OkAsync("DescribeStreamSummary", new { StreamName = name }))["StreamDescriptionSummary"]!;
        Assert.That((string?)summary["EncryptionType"], Is.EqualTo("KMS"));
        Assert.That((string?)summary["StreamModeDetails"]!["StreamMode"], Is.EqualTo("ON_DEMAND"));
        var limits = await _kinesis.OkAsync("DescribeLimits", new { });
        Assert.That((int?)limits["ShardLimit"], Is.EqualTo(60));
    }

    [Test]
    public async Task Stream_arn_works_wherever_a_name_does()
    {
        var name = await CreateAsync(1);
        var arn = $"arn:aws:kinesis:us-east-1:000000000000:stream/{name}";
        var put = await _kinesis.OkAsync("PutRecord", new { StreamARN = arn, PartitionKey = "k", Data = "AA==" });
        Assert.That((string?)put["ShardId"], Is.EqualTo("shardId-000000000000"));
        await _kinesis.OkAsync("DescribeStreamSummary", new { StreamARN = arn });
        await _kinesis.ErrorAsync("DescribeStreamSummary", new { }, "InvalidArgumentException");
        await _kinesis.ErrorAsync("DescribeStreamSummary", new { StreamARN = arn, StreamName = "other" }, "InvalidArgumentException");
    }

    [Test]
    public async Task Deleted_streams_are_gone_with_their_records()
    {
        var name = await CreateAsync(1);
        await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "k", Data = "AA==" });
        await _kinesis.OkAsync("DeleteStream", new { StreamName = name });
        await _kinesis.ErrorAsync("DescribeStream", new { StreamName = name }, "ResourceNotFoundException");
        await _kinesis.OkAsync("CreateStream", new { StreamName = name, ShardCount = 1 });
        Assert.That(await ReadAllAsync(name, "shardId-000000000000"), Is.Empty);
    }

    [Test]
    public async Task State_survives_a_restart()
    {
        var name = await CreateAsync(2);
        var put = await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "k", Data = "AQID" });
        await _kinesis.OkAsync("AddTagsToStream", new { StreamName = name, Tags = new Dictionary<string, string> { ["team"] = "core" } });
        await _kinesis.OkAsync("SplitShard", new { StreamName = name, ShardToSplit = "shardId-000000000000", NewStartingHashKey = "1000" });
        await _server.DisposeAsync();
        _server = await TestServer.StartAsync(_server.Settings);
        _kinesis.Dispose();
        _kinesis = new KinesisCaller(_server.Endpoint);
        var shards = (await _kinesis.OkAsync("ListShards", new { StreamName = name }))["Shards"]!.AsArray();
        Assert.That(shards, Has.Count.EqualTo(4));
        var records = await ReadAllAsync(name, (string)put["ShardId"]!);
        Assert.That(records.Select(r => (string?)r["SequenceNumber"]), Is.EqualTo(new[] { (string?)put["SequenceNumber"] }));
        var tags = await _kinesis.OkAsync("ListTagsForStream", new { StreamName = name });
        Assert.That((string?)tags["Tags"]![0]!["Value"], Is.EqualTo("core"));
        var next = await _kinesis.OkAsync("PutRecord", new { StreamName = name, PartitionKey = "k", Data = "AQID" });
        Assert.That(BigInteger.Parse((string)next["SequenceNumber"]!), Is.GreaterThan(BigInteger.Parse((string)put["SequenceNumber"]!)));
    }
}
