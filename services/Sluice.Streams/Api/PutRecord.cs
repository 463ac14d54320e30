using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Shards;

namespace Sluice.Streams.Api;

/// <summary>PutRecord: one record into the open shard its hash key falls in; answered once durable.</summary>
internal static class PutRecord
{
    public static AwsOperation Operation(StreamsContext ctx) => new("PutRecord",
        Input.StreamScoped()
            .Required("Data", new BlobShape { MaxLength = 10 * 1024 * 1024 })
            .Required("PartitionKey", new StringShape { MinLength = 1, MaxLength = 256 })
            .Optional("ExplicitHashKey", Input.HashKey)
            .Optional("SequenceNumberForOrdering", Input.SequenceNumber),
        async (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = RecordInput.WritableStream(catalog, req.Body);
            if (req.Body.Str("SequenceNumberForOrdering") is { } ordering && !SequenceNumbers.TryParse(ordering, out _))
            {
                throw AwsException.InvalidArgument($"ExclusiveMinimumSequenceNumber {ordering} used in PutRecord on stream {stream.Name} under account {catalog.Arns.Account} is invalid.");
            }

            var record = RecordInput.Read(req.Body, stream, null);
            if (ctx.Throughput.Enabled && stream.ShardFor(record.HashKey) is { } target &&
                !ctx.Throughput.TryWrite(stream.Id, target.Index, record.Data.Length + record.PartitionKey.Length))
            {
                throw new AwsException("ProvisionedThroughputExceededException", RecordInput.RateExceeded(catalog, stream, target));
            }

            var appended = (await ctx.Log.AppendAsync(stream, [record], ct))[0];
            w.WriteString("ShardId", appended.Shard.ShardId);
            w.WriteString("SequenceNumber", RecordInput.SequenceNumber(appended));
            if (stream.EncryptionType == "KMS") w.WriteString("EncryptionType", "KMS");
        });
}
