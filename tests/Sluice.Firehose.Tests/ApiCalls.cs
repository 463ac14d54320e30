using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Firehose.Tests;

/// <summary>Raw Firehose_20150804 calls over the wire, and reads of a delivery stream's backing stream through the Kinesis API.</summary>
internal sealed class ApiCalls(string endpoint) : IDisposable
{
    public const string Bucket = "arn:aws:s3:::sluice-bucket";
    public const string Role = "arn:aws:iam::000000000000:role/firehose";

    private readonly KinesisCaller _caller = new(endpoint);

    public Task<KinesisCaller.Reply> CallAsync(string operation, object body) =>
        _caller.SendAsync(operation, JsonSerializer.Serialize(body), target: "Firehose_20150804");

    public async Task<JsonNode> OkAsync(string operation, object body)
    {
        var reply = await CallAsync(operation, body);
        Assert.That(reply.Status, Is.EqualTo(200), $"{operation} failed: {reply.Text}");
        return reply.Text.Length == 0 ? new JsonObject() : JsonNode.Parse(reply.Text)!;
    }

    /// <summary>Calls, requires the AWS error type and status, and answers the message.</summary>
    public async Task<string> ErrorAsync(string operation, object body, string type, int status = 400)
    {
        var reply = await CallAsync(operation, body);
        Assert.That(reply.Status, Is.EqualTo(status), reply.Text);
        var json = JsonNode.Parse(reply.Text)!;
        Assert.That((string?)json["__type"], Is.EqualTo(type), reply.Text);
        return (string?)json["message"] ?? "";
    }

    public Task<JsonNode> CreateS3Async(string name, object? extra = null) =>
        OkAsync("CreateDeliveryStream", new Dictionary<string, object?>
        {
            ["DeliveryStreamName"] = name,
            ["ExtendedS3DestinationConfiguration"] = extra ?? new { RoleARN = Role, BucketARN = Bucket },
        });

    public async Task<JsonNode> DescribeAsync(string name) =>
        (await OkAsync("DescribeDeliveryStream", new { DeliveryStreamName = name }))["DeliveryStreamDescription"]!;

    /// <summary>Every record in every shard of a Kinesis stream, from TRIM_HORIZON, through the Kinesis JSON API.</summary>
    public async Task<List<byte[]>> ReadStreamAsync(string stream)
    {
        var shards = await _caller.OkAsync("ListShards", new { StreamName = stream });
        var data = new List<byte[]>();
        foreach (var shard in shards["Shards"]!.AsArray())
        {
            var iterator = (string?)(await _caller.OkAsync("GetShardIterator", new { StreamName = stream, ShardId = (string)shard!["ShardId"]!, ShardIteratorType = "TRIM_HORIZON" }))["ShardIterator"];
            for (var i = 0; i < 20 && iterator is not null; i++)
            {
                var page = await _caller.OkAsync("GetRecords", new { ShardIterator = iterator });
                var records = page["Records"]!.AsArray();
                foreach (var r in records) data.Add(Convert.FromBase64String((string)r!["Data"]!));
                if (records.Count == 0 || (long?)page["MillisBehindLatest"] == 0) break;
                iterator = (string?)page["NextShardIterator"];
            }
        }

        return data;
    }

    /// <summary>Kinesis API calls against the same endpoint (to make a source stream).</summary>
    public KinesisCaller Kinesis => _caller;

    public void Dispose() => _caller.Dispose();
}

/// <summary>Reaching the Firehose internals a test watches.</summary>
internal static class ApiServices
{
    public static Sluice.Firehose.Catalog.IDeliveryStreamDirectory GetDirectory(this IServiceProvider services) =>
        (Sluice.Firehose.Catalog.IDeliveryStreamDirectory)services.GetService(typeof(Sluice.Firehose.Catalog.IDeliveryStreamDirectory))!;
}
