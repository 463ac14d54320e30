using System.Collections.Concurrent;
using System.Numerics;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Streams.Tests;

/// <summary>
/// A 200 for a put means the record survives kill -9: concurrent producers load a child-process host, it is killed
/// hard mid-load, and after a restart every acknowledged record is there, in order, with its sequence number.
/// </summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
[NonParallelizable]
public class DurabilityTests(string storage)
{
    private sealed record Acked(string ShardId, string SequenceNumber, string Data);

    [Test]
    public async Task Acknowledged_records_survive_kill_dash_nine()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-kill-" + Guid.NewGuid().ToString("N"));
        var extra = new List<string>();
        if (storage == TestStorage.Postgres)
        {
            var settings = await TestStorage.UsePostgresAsync(new Hosting.SluiceSettings());
            extra.AddRange(["--storage", "postgres", "--postgres", settings.Postgres!]);
        }

        var acked = new ConcurrentBag<Acked>();
        var host = await HostProcess.StartAsync(dataDir, [.. extra]);
        try
        {
            using (var setup = new KinesisCaller(host.Endpoint)) await setup.OkAsync("CreateStream", new { StreamName = "durable", ShardCount = 4 });
            using var stop = new CancellationTokenSource();
            var producers = Enumerable.Range(0, 6).Select(p => Task.Run(() => ProduceAsync(host.Endpoint, p, acked, stop.Token))).ToArray();
            // Kill once a good number of puts were acknowledged, so the kill lands mid-load.
            for (var i = 0; i < 600 && acked.Count < 3000; i++) await Task.Delay(50);
            host.KillHard();
            await stop.CancelAsync();
            await Task.WhenAll(producers);
        }
        finally
        {
            host.Dispose();
        }

        Assert.That(acked, Has.Count.GreaterThan(100), "the load should have been acknowledged before the kill");
        using var restarted = await HostProcess.StartAsync(dataDir, [.. extra]);
        using var kinesis = new KinesisCaller(restarted.Endpoint);
        var stored = new Dictionary<string, Dictionary<string, string>>();
        foreach (var shard in Enumerable.Range(0, 4).Select(i => $"shardId-{i:D12}"))
        {
            var records = new List<JsonNode>();
            var iterator = (string?)(await kinesis.OkAsync("GetShardIterator", new { StreamName = "durable", ShardId = shard, ShardIteratorType = "TRIM_HORIZON" }))["ShardIterator"];
            for (var page = 0; page < 1000 && iterator is not null; page++)
            {
                var reply = await kinesis.OkAsync("GetRecords", new { ShardIterator = iterator });
                var got = reply["Records"]!.AsArray();
                if (got.Count == 0) break;
                records.AddRange(got.Select(r => r!));
                iterator = (string?)reply["NextShardIterator"];
            }

            var numbers = records.Select(r => BigInteger.Parse((string)r["SequenceNumber"]!)).ToList();
            Assert.That(numbers, Is.Ordered.Ascending, $"{shard} is out of order");
            Assert.That(numbers.Distinct().Count(), Is.EqualTo(numbers.Count), $"{shard} has duplicates");
            stored[shard] = records.ToDictionary(r => (string)r["SequenceNumber"]!, r => (string)r["Data"]!);
        }

        var lost = acked.Where(a => !stored[a.ShardId].TryGetValue(a.SequenceNumber, out var data) || data != a.Data).ToList();
        Assert.That(lost, Is.Empty, $"{lost.Count} of {acked.Count} acknowledged records are missing or changed after kill -9");
        TestContext.Out.WriteLine($"{acked.Count} acknowledged records all present after kill -9 ({stored.Values.Sum(s => s.Count)} stored)");
    }

    private static async Task ProduceAsync(string endpoint, int producer, ConcurrentBag<Acked> acked, CancellationToken stop)
    {
        using var kinesis = new KinesisCaller(endpoint);
        for (var batch = 0; batch < 2000 && !stop.IsCancellationRequested; batch++)
        {
            var entries = Enumerable.Range(0, producer % 2 == 0 ? 50 : 1)
                .Select(i => new { Data = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"p{producer}-b{batch}-r{i}")), PartitionKey = $"key-{producer}-{i}" })
                .ToArray();
            try
            {
                if (entries.Length == 1)
                {
                    var reply = await kinesis.CallAsync("PutRecord", new { StreamName = "durable", entries[0].PartitionKey, entries[0].Data });
                    if (reply.Status != 200) return;
                    acked.Add(new Acked((string)reply.Json["ShardId"]!, (string)reply.Json["SequenceNumber"]!, entries[0].Data));
                }
                else
                {
                    var reply = await kinesis.CallAsync("PutRecords", new { StreamName = "durable", Records = entries });
                    if (reply.Status != 200) return;
                    var results = reply.Json["Records"]!.AsArray();
                    for (var i = 0; i < results.Count; i++)
                    {
                        if (results[i]!["SequenceNumber"] is { } seq) acked.Add(new Acked((string)results[i]!["ShardId"]!, (string)seq!, entries[i].Data));
                    }
                }
            }
            catch (HttpRequestException)
            {
                return; // the host is gone: this put was never acknowledged
            }
            catch (TaskCanceledException)
            {
                return;
            }
        }
    }
}
