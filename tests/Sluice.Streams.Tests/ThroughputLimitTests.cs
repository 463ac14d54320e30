using NUnit.Framework;

namespace Sluice.Streams.Tests;

/// <summary>With --throughput-limits, a shard takes 1,000 records per second and refuses the rest per record.</summary>
public class ThroughputLimitTests
{
    [Test]
    public async Task PutRecords_fails_only_the_records_over_a_shards_quota()
    {
        var settings = await TestStorage.CreateAsync(TestStorage.Sqlite);
        settings.ThroughputLimits = true;
        await using var server = await TestServer.StartAsync(settings);
        using var kinesis = new KinesisCaller(server.Endpoint);
        await kinesis.OkAsync("CreateStream", new { StreamName = "hot", ShardCount = 1 });
        var entries = Enumerable.Range(0, 500).Select(i => new { Data = "AA==", PartitionKey = "k" }).ToArray();
        var failed = 0;
        string? message = null;
        for (var call = 0; call < 3; call++)
        {
            var reply = await kinesis.OkAsync("PutRecords", new { StreamName = "hot", Records = entries });
            failed += (int)reply["FailedRecordCount"]!;
            message ??= reply["Records"]!.AsArray().Select(r => (string?)r!["ErrorMessage"]).FirstOrDefault(m => m is not null);
        }

        // 1,500 records in well under three seconds: at least 500 are over the 1,000/s quota of the one shard.
        Assert.That(failed, Is.GreaterThan(0));
        Assert.That(message, Is.EqualTo("Rate exceeded for shard shardId-000000000000 in stream hot under account 000000000000."));
    }

    [Test]
    public async Task Retention_beyond_a_year_is_an_invalid_argument()
    {
        await using var server = await TestServer.StartAsync(await TestStorage.CreateAsync(TestStorage.Sqlite));
        using var kinesis = new KinesisCaller(server.Endpoint);
        await kinesis.OkAsync("CreateStream", new { StreamName = "r", ShardCount = 1 });
        var message = await kinesis.ErrorAsync("IncreaseStreamRetentionPeriod", new { StreamName = "r", RetentionPeriodHours = 8761 }, "InvalidArgumentException");
        Assert.That(message, Is.EqualTo("Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long."));
    }
}
