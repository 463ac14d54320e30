using System.Globalization;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Shards;

namespace Sluice.Streams.Api;

/// <summary>GetRecords: records from an iterator's position, a fresh iterator after them, and ChildShards at a closed shard's end.</summary>
internal static class GetRecords
{
    private const int MaxResponseBytes = 10 * 1024 * 1024;

    public static AwsOperation Operation(StreamsContext ctx) => new("GetRecords",
        new StructureShape()
            .Required("ShardIterator", new StringShape { MinLength = 1, MaxLength = 512 })
            .Optional("Limit", new NumberShape(false) { Min = 1, Max = 10000 })
            .Optional("StreamARN", Input.StreamArn),
        async (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            if (!ctx.Iterators.TryDecode(req.Body.Str("ShardIterator")!, out var position)) throw AwsException.InvalidArgument("Invalid ShardIterator.");
            var now = catalog.NowMs;
            if (now - position.IssuedMs > ShardIterators.LifetimeMs)
            {
                throw new AwsException("ExpiredIteratorException",
                    $"Iterator expired. The iterator was created at time {JavaDate(position.IssuedMs)} while right now it is {JavaDate(now)} " +
                    $"which is further in the future than the tolerated delay of {ShardIterators.LifetimeMs} milliseconds.");
            }

            var shardId = Catalog.ShardState.FormatId(position.ShardIndex);
            var stream = catalog.Find(position.StreamName);
            var shard = stream is not null && stream.CreatedMs == position.StreamCreatedMs ? stream.FindShard(position.ShardIndex) : null;
            if (stream is null || shard is null)
            {
                throw AwsException.NotFound($"Shard {shardId} in stream {position.StreamName} under account {catalog.Arns.Account} does not exist");
            }

            if (!ctx.Throughput.TryRead(stream.Id, shard.Index))
            {
                throw new AwsException("ProvisionedThroughputExceededException", RecordInput.RateExceeded(catalog, stream, shard));
            }

            var limit = req.Body.Int("Limit") ?? 10000;
            var end = shard.EndRecordIndex;
            var tip = end ?? await ctx.Store.NextRecordIndexAsync(stream.Id, shard.Index, ct);
            var trimHorizon = now - (stream.RetentionHours * 3_600_000L);
            var records = position.RecordIndex < tip
                ? await ctx.Store.ReadAsync(stream.Id, shard.Index, position.RecordIndex, trimHorizon, limit, MaxResponseBytes, ct)
                : [];
            var next = records.Count > 0 ? records[^1].Index + 1 : position.RecordIndex;
            if (records.Count == 0 && position.RecordIndex < tip)
            {
                next = tip; // everything between the position and the tip has expired
            }

            var bytes = 0;
            var kms = stream.EncryptionType == "KMS";
            w.WriteStartArray("Records");
            foreach (var r in records)
            {
                bytes += r.Data.Length;
                w.WriteStartObject();
                w.WriteString("SequenceNumber", SequenceNumbers.Format(shard.CreatedSeconds, shard.Index, r.Index, r.ArrivalMs / 1000));
                w.WriteTimestamp("ApproximateArrivalTimestamp", r.ArrivalMs);
                w.WriteBase64String("Data", r.Data);
                w.WriteString("PartitionKey", r.PartitionKey);
                if (kms) w.WriteString("EncryptionType", "KMS");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            ctx.Throughput.RecordRead(stream.Id, shard.Index, bytes);
            var atEnd = end is not null && next >= end;
            if (!atEnd)
            {
                w.WriteString("NextShardIterator", ctx.Iterators.Encode(position with { RecordIndex = next, IssuedMs = now }));
            }

            w.WriteNumber("MillisBehindLatest", next >= tip || records.Count == 0 ? 0 : Math.Max(0, now - records[^1].ArrivalMs));
            if (atEnd) ShardOutput.WriteChildren(w, stream, shard);
        });

    private static string JavaDate(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);
}
