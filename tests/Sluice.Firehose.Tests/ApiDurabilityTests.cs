using System.Text;
using NUnit.Framework;

namespace Sluice.Firehose.Tests;

/// <summary>An acknowledged DirectPut record is durable: it survives kill -9 of the host, and so does the catalog.</summary>
[TestFixture]
[NonParallelizable]
public class ApiDurabilityTests
{
    [Test]
    public async Task Acknowledged_puts_survive_kill_9_of_the_host()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-fh-kill-" + Guid.NewGuid().ToString("N"));
        var acknowledged = new List<string>();
        using (var host = await HostProcess.StartAsync(dataDir))
        {
            using var api = new ApiCalls(host.Endpoint);
            await api.OkAsync("CreateDeliveryStream", new
            {
                DeliveryStreamName = "durable",
                ExtendedS3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket, Prefix = "kept/" },
                Tags = new[] { new { Key = "survives", Value = "yes" } },
            });
            using var putting = new CancellationTokenSource();
            var puts = Task.Run(async () =>
            {
                for (var batch = 0; batch < 2000 && !putting.IsCancellationRequested; batch++)
                {
                    var payloads = Enumerable.Range(0, 10).Select(i => $"b{batch}-r{i}").ToArray();
                    KinesisCaller.Reply reply;
                    try
                    {
                        reply = await api.CallAsync("PutRecordBatch", new { DeliveryStreamName = "durable", Records = payloads.Select(p => new { Data = Convert.ToBase64String(Encoding.UTF8.GetBytes(p)) }) });
                    }
                    catch (HttpRequestException)
                    {
                        return;
                    }

                    if (reply.Status != 200) return;
                    var responses = reply.Json["RequestResponses"]!.AsArray();
                    lock (acknowledged)
                    {
                        for (var i = 0; i < payloads.Length; i++)
                        {
                            if (responses[i]!["RecordId"] is not null) acknowledged.Add(payloads[i]);
                        }
                    }
                }
            });

            // Kill while puts are in flight, once a good number have been acknowledged.
            for (var i = 0; i < 600; i++)
            {
                lock (acknowledged)
                {
                    if (acknowledged.Count >= 300) break;
                }

                await Task.Delay(20);
            }

            host.KillHard();
            await puts;
            putting.Cancel();
        }

        Assert.That(acknowledged, Has.Count.GreaterThanOrEqualTo(300));
        using (var host = await HostProcess.StartAsync(dataDir))
        {
            using var api = new ApiCalls(host.Endpoint);
            var description = await api.DescribeAsync("durable");
            Assert.That((string?)description["DeliveryStreamStatus"], Is.EqualTo("ACTIVE"));
            Assert.That((string?)description["Destinations"]![0]!["ExtendedS3DestinationDescription"]!["Prefix"], Is.EqualTo("kept/"));
            var tags = await api.OkAsync("ListTagsForDeliveryStream", new { DeliveryStreamName = "durable" });
            Assert.That(tags["Tags"]!.ToJsonString(), Is.EqualTo("""[{"Key":"survives","Value":"yes"}]"""));
            var stored = (await api.ReadStreamAsync("firehose-durable")).Select(Encoding.UTF8.GetString).ToHashSet();
            Assert.That(acknowledged.Where(p => !stored.Contains(p)), Is.Empty, "acknowledged records missing after kill -9");
            var put = await api.OkAsync("PutRecord", new { DeliveryStreamName = "durable", Record = new { Data = "YQ==" } });
            Assert.That((string?)put["RecordId"], Is.Not.Empty);
        }
    }
}
