using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Catalog;

namespace Sluice.Streams.Api;

/// <summary>DescribeStream: the legacy description with shards paged by Limit (capped at 100) and ExclusiveStartShardId.</summary>
internal static class DescribeStream
{
    public static AwsOperation Operation(StreamsContext ctx) => new("DescribeStream",
        Input.StreamScoped()
            .Optional("Limit", new NumberShape(false) { Min = 1, Max = 10000 })
            .Optional("ExclusiveStartShardId", Input.ShardId),
        (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = catalog.Stream(req.Body);
            var status = catalog.StatusOf(stream);
            var limit = Math.Min(req.Body.Int("Limit") ?? 100, 100);
            var after = req.Body.Str("ExclusiveStartShardId");
            var shards = status == StreamStatus.CREATING
                ? []
                : ShardOutput.Listed(stream, catalog.NowMs).Where(s => after is null || string.CompareOrdinal(s.ShardId, after) > 0).ToList();

            w.WriteStartObject("StreamDescription");
            w.WriteString("StreamName", stream.Name);
            w.WriteString("StreamARN", catalog.Arns.Stream(stream.Name));
            w.WriteString("StreamStatus", status.ToString());
            ShardOutput.WriteModeDetails(w, stream);
            w.WriteStartArray("Shards");
            foreach (var shard in shards.Take(limit)) ShardOutput.Write(w, shard);
            w.WriteEndArray();
            w.WriteBoolean("HasMoreShards", shards.Count > limit);
            w.WriteNumber("RetentionPeriodHours", stream.RetentionHours);
            w.WriteTimestamp("StreamCreationTimestamp", stream.CreatedMs);
            ShardOutput.WriteEnhancedMonitoring(w, stream);
            w.WriteString("EncryptionType", stream.EncryptionType);
            if (stream.KeyId is not null) w.WriteString("KeyId", stream.KeyId);
            w.WriteEndObject();
            return ValueTask.CompletedTask;
        });
}
