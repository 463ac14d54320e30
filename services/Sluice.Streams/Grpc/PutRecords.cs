using System.Runtime.InteropServices;
using Google.Protobuf;
using Sluice.AwsProtocol;
using Sluice.Streams.Api;
using Sluice.Streams.Catalog;
using Sluice.Streams.Records;
using Sluice.Streams.Shards;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>PutRecords: up to 500 records in one durable append (the group commit), answered per record in order.</summary>
internal static class PutRecords
{
    private const int MaxRecords = 500;
    private const int MaxRequestBytes = 5 * 1024 * 1024;

    public static async Task<PutRecordsResponse> HandleAsync(StreamsContext ctx, PutRecordsRequest request, CancellationToken ct)
    {
        var catalog = ctx.Catalog;
        var stream = catalog.Get(StreamsGrpc.Required(request.StreamName, "stream_name"));
        if (catalog.StatusOf(stream) is StreamStatus.CREATING or StreamStatus.DELETING) throw AwsException.NotFound(catalog.Arns.NotFound(stream.Name));
        var count = request.Records.Count;
        if (count is 0 or > MaxRecords) throw StreamsGrpc.Invalid($"records must hold 1 to {MaxRecords} entries, not {count}.");

        var records = new PendingRecord[count];
        var max = stream.MaxRecordSizeKiB * 1024;
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            var entry = request.Records[i];
            if (entry.PartitionKey.Length is 0 or > 256) throw StreamsGrpc.Invalid($"records[{i}].partition_key must be 1 to 256 characters long.");
            if (entry.Data.Length > max) throw StreamsGrpc.Invalid($"records[{i}].data is {entry.Data.Length} bytes; the stream's records are at most {max}.");
            UInt128 hash;
            if (entry.ExplicitHashKey.Length > 0)
            {
                if (!HashKeys.TryParse(entry.ExplicitHashKey, out hash)) throw StreamsGrpc.Invalid($"records[{i}].explicit_hash_key must be a decimal in [0, 2^128-1], not '{entry.ExplicitHashKey}'.");
            }
            else
            {
                hash = HashKeys.FromPartitionKey(entry.PartitionKey);
            }

            records[i] = new PendingRecord(hash, entry.PartitionKey, Bytes(entry.Data));
            total += entry.Data.Length + entry.PartitionKey.Length;
        }

        if (total > MaxRequestBytes) throw StreamsGrpc.Invalid($"The records hold {total} bytes; a request holds at most {MaxRequestBytes}.");

        var response = new PutRecordsResponse();
        var throttled = ctx.Throughput.Enabled ? new bool[count] : null;
        var accepted = records;
        if (throttled is not null)
        {
            var keep = new List<PendingRecord>(count);
            for (var r = 0; r < count; r++)
            {
                var shard = stream.ShardFor(records[r].HashKey);
                if (shard is not null && !ctx.Throughput.TryWrite(stream.Id, shard.Index, records[r].Data.Length + records[r].PartitionKey.Length)) throttled[r] = true;
                else keep.Add(records[r]);
            }

            accepted = keep.ToArray();
        }

        var appended = accepted.Length > 0 ? await ctx.Log.AppendAsync(stream, accepted, ct) : [];
        var a = 0;
        for (var r = 0; r < count; r++)
        {
            if (throttled is not null && throttled[r])
            {
                var shard = stream.ShardFor(records[r].HashKey)!;
                response.Records.Add(new PutRecordsResult { ErrorCode = "ProvisionedThroughputExceededException", ErrorMessage = $"Rate exceeded for shard {shard.ShardId} in stream {stream.Name}." });
                response.FailedRecordCount++;
                continue;
            }

            var record = appended[a++];
            response.Records.Add(new PutRecordsResult
            {
                SequenceNumber = SequenceNumbers.Format(record.Shard.CreatedSeconds, record.Shard.Index, record.Index, record.ArrivalMs / 1000),
                ShardId = record.Shard.ShardId,
            });
        }

        return response;
    }

    // A parsed message's bytes are its own copy: hand the array on instead of copying it again.
    private static byte[] Bytes(ByteString data) =>
        MemoryMarshal.TryGetArray(data.Memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : data.ToByteArray();
}
