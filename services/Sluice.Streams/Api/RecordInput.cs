using System.Text.Json;
using Sluice.AwsProtocol;
using Sluice.Streams.Catalog;
using Sluice.Streams.Records;
using Sluice.Streams.Shards;

namespace Sluice.Streams.Api;

/// <summary>The checks PutRecord and PutRecords share: a writable stream, the record size limit, hash keys.</summary>
internal static class RecordInput
{
    /// <summary>The stream a put names, refused while it is CREATING or DELETING.</summary>
    public static StreamState WritableStream(StreamCatalog catalog, JsonElement body)
    {
        var stream = catalog.Stream(body);
        var status = catalog.StatusOf(stream);
        if (status is StreamStatus.CREATING or StreamStatus.DELETING) throw AwsException.NotFound(catalog.Arns.NotFound(stream.Name));
        return stream;
    }

    /// <summary>Reads one record entry; <paramref name="item"/> (1-based) names it in validation messages as records.N.member.</summary>
    public static PendingRecord Read(JsonElement entry, StreamState stream, int? item)
    {
        var key = entry.Str("PartitionKey")!;
        var data = entry.GetProperty("Data").GetBytesFromBase64();
        var max = stream.MaxRecordSizeKiB * 1024;
        if (data.Length > max)
        {
            var at = item is null ? "data" : $"records.{item}.member.data";
            throw AwsException.Validation($"1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim={data.Length} cap={data.Length}]' at '{at}' failed to satisfy constraint: Member must have length less than or equal to {max}");
        }

        UInt128 hash;
        if (entry.Str("ExplicitHashKey") is { } explicitKey)
        {
            if (!HashKeys.TryParse(explicitKey, out hash))
            {
                throw AwsException.InvalidArgument($"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {explicitKey}");
            }
        }
        else
        {
            hash = HashKeys.FromPartitionKey(key);
        }

        return new PendingRecord(hash, key, data);
    }

    public static string SequenceNumber(AppendedRecord r) =>
        SequenceNumbers.Format(r.Shard.CreatedSeconds, r.Shard.Index, r.Index, r.ArrivalMs / 1000);

    /// <summary>Writes the record's sequence number as a string property without allocating it.</summary>
    public static void WriteSequenceNumber(Utf8JsonWriter w, JsonEncodedText name, AppendedRecord r)
    {
        Span<char> text = stackalloc char[SequenceNumbers.MaxLength];
        var length = SequenceNumbers.TryFormat(r.Shard.CreatedSeconds, r.Shard.Index, r.Index, r.ArrivalMs / 1000, text);
        w.WriteString(name, text[..length]);
    }

    public static string RateExceeded(StreamCatalog catalog, StreamState stream, ShardState shard) =>
        $"Rate exceeded for shard {shard.ShardId} in stream {stream.Name} under account {catalog.Arns.Account}.";
}
