using System.Text.Json;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Records;

namespace Sluice.Streams.Api;

/// <summary>PutRecords: up to 500 records in one durable append; a throttled record fails alone, in its slot.</summary>
internal static class PutRecords
{
    private const int MaxRequestBytes = 5 * 1024 * 1024;
    private static readonly JsonEncodedText SequenceNumberName = JsonEncodedText.Encode("SequenceNumber");
    private static readonly JsonEncodedText ShardIdName = JsonEncodedText.Encode("ShardId");

    public static AwsOperation Operation(StreamsContext ctx) => new("PutRecords",
        Input.StreamScoped()
            .Required("Records", new ListShape(new StructureShape()
                .Required("Data", new BlobShape { MaxLength = 10 * 1024 * 1024 })
                .Optional("ExplicitHashKey", Input.HashKey)
                .Required("PartitionKey", new StringShape { MinLength = 1, MaxLength = 256 })) { MinLength = 1, MaxLength = 500 }),
        async (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = RecordInput.WritableStream(catalog, req.Body);
            var entries = req.Body.GetProperty("Records");
            var count = entries.GetArrayLength();
            var records = new PendingRecord[count];
            var i = 0;
            long total = 0;
            foreach (var entry in entries.EnumerateArray())
            {
                records[i] = RecordInput.Read(entry, stream, i + 1);
                total += records[i].Data.Length + records[i].PartitionKey.Length;
                i++;
            }

            if (total > MaxRequestBytes) throw AwsException.InvalidArgument($"Records size exceeds 5 MB limit");

            // Throttled records are answered in place and never appended.
            string?[]? throttled = null;
            var accepted = records;
            if (ctx.Throughput.Enabled)
            {
                var keep = new List<PendingRecord>(count);
                for (var r = 0; r < count; r++)
                {
                    var shard = stream.ShardFor(records[r].HashKey);
                    if (shard is not null && !ctx.Throughput.TryWrite(stream.Id, shard.Index, records[r].Data.Length + records[r].PartitionKey.Length))
                    {
                        throttled ??= new string?[count];
                        throttled[r] = RecordInput.RateExceeded(catalog, stream, shard);
                    }
                    else
                    {
                        keep.Add(records[r]);
                    }
                }

                accepted = keep.ToArray();
            }

            var appended = accepted.Length > 0 ? await ctx.Log.AppendAsync(stream, accepted, ct) : [];
            var failed = count - accepted.Length;
            w.WriteNumber("FailedRecordCount", failed);
            w.WriteStartArray("Records");
            var a = 0;
            for (var r = 0; r < count; r++)
            {
                w.WriteStartObject();
                if (throttled?[r] is { } message)
                {
                    w.WriteString("ErrorCode", "ProvisionedThroughputExceededException");
                    w.WriteString("ErrorMessage", message);
                }
                else
                {
                    var record = appended[a++];
                    RecordInput.WriteSequenceNumber(w, SequenceNumberName, record);
                    w.WriteString(ShardIdName, record.Shard.ShardId);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (stream.EncryptionType == "KMS") w.WriteString("EncryptionType", "KMS");
        });
}
