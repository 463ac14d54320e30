using Google.Protobuf;
using Sluice.AwsProtocol;
using Sluice.Grpc;
using Sluice.Hosting;
using Sluice.Streams.Client;
using Sluice.Streams.V1;

namespace Sluice.Firehose.Catalog;

/// <summary>
/// Firehose's side of the Streams data plane: creating and deleting a DirectPut delivery stream's backing stream,
/// appending put records to it durably, and checking that a Kinesis source stream exists.
/// </summary>
public sealed class BackingStreams(StreamsGrpcAddress address) : IDisposable
{
    private const int Attempts = 3;

    // Partition keys spread records over the shards; a fixed set avoids a new string per record.
    private static readonly string[] PartitionKeys = MakePartitionKeys(256);

    private readonly Lock _lock = new();
    private StreamsClient? _client;

    /// <summary>The client, made on first use: the Streams address is known only once the host has started.</summary>
    public StreamsClient Client
    {
        get
        {
            lock (_lock) return _client ??= new StreamsClient(address.Resolve());
        }
    }

    /// <summary>Shards of a backing stream: one per MB/s of ThroughputHintInMBs (a shard takes 1 MB/s of writes), at least one.</summary>
    public static int ShardsFor(int? throughputHintInMBs) => Math.Max(1, throughputHintInMBs ?? 1);

    public async Task CreateAsync(string deliveryStreamName, int shardCount, CancellationToken ct)
    {
        try
        {
            await Client.CreateStreamAsync(DeliveryStreamDefinition.BackingStreamName(deliveryStreamName), shardCount, ct);
        }
        catch (RpcException e)
        {
            throw Unavailable($"Could not create the backing stream of {deliveryStreamName}: {e.Status.Detail}");
        }
    }

    public async Task DeleteAsync(string deliveryStreamName, CancellationToken ct)
    {
        try
        {
            await Client.DeleteStreamAsync(DeliveryStreamDefinition.BackingStreamName(deliveryStreamName), ct);
        }
        catch (RpcException e)
        {
            throw Unavailable($"Could not delete the backing stream of {deliveryStreamName}: {e.Status.Detail}");
        }
    }

    /// <summary>True when the Streams service has a live stream of that name.</summary>
    public async Task<bool> ExistsAsync(string streamName, CancellationToken ct)
    {
        try
        {
            var stream = await Client.DescribeStreamAsync(streamName, ct);
            return stream.Status != "DELETING";
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
        catch (RpcException e)
        {
            throw Unavailable($"Could not reach the Streams service: {e.Status.Detail}");
        }
    }

    /// <summary>
    /// Appends the records to the backing stream, retrying the ones that fail; answers a RecordId per record, or null
    /// for a record that could still not be appended. Returns only once every appended record is durable. The arrays
    /// are handed to the request as they are (no copy), so callers must not change them.
    /// </summary>
    public async Task<string?[]> AppendAsync(string deliveryStreamName, byte[][] records, CancellationToken ct)
    {
        var ids = new string?[records.Length];
        var pending = new List<int>(records.Length);
        for (var i = 0; i < records.Length; i++) pending.Add(i);
        var streamName = DeliveryStreamDefinition.BackingStreamName(deliveryStreamName);
        for (var attempt = 1; attempt <= Attempts && pending.Count > 0; attempt++)
        {
            var request = new PutRecordsRequest { StreamName = streamName };
            foreach (var i in pending)
            {
                request.Records.Add(new PutRecordsEntry { PartitionKey = PartitionKeys[Random.Shared.Next(PartitionKeys.Length)], Data = UnsafeByteOperations.UnsafeWrap(records[i]) });
            }

            PutRecordsResponse response;
            try
            {
                response = await Client.PutRecordsAsync(request, ct);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted or StatusCode.Internal or StatusCode.DeadlineExceeded or StatusCode.Unknown)
            {
                await Task.Delay(50 * attempt, ct);
                continue;
            }
            catch (RpcException e)
            {
                throw Unavailable($"The backing stream of {deliveryStreamName} refused the records: {e.Status.Detail}");
            }

            var still = new List<int>();
            for (var r = 0; r < pending.Count; r++)
            {
                var result = response.Records[r];
                if (result.SequenceNumber.Length > 0) ids[pending[r]] = RecordIds.From(result.ShardId, result.SequenceNumber);
                else still.Add(pending[r]);
            }

            pending = still;
            if (pending.Count > 0) await Task.Delay(50 * attempt, ct);
        }

        return ids;
    }

    public void Dispose()
    {
        lock (_lock) _client?.Dispose();
    }

    public static AwsException Unavailable(string message) => new("ServiceUnavailableException", message, 503);

    private static string[] MakePartitionKeys(int count)
    {
        var keys = new string[count];
        for (var i = 0; i < count; i++) keys[i] = "pk-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return keys;
    }
}

/// <summary>PutRecord's RecordId: opaque to the caller, made from the backing stream's shard and sequence number, so unique.</summary>
public static class RecordIds
{
    public static string From(string shardId, string sequenceNumber) =>
        Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(shardId + ":" + sequenceNumber));
}
