using Sluice.AwsProtocol;
using Sluice.Streams.Catalog;

namespace Sluice.Streams.Api;

/// <summary>DescribeStreamSummary: the stream without its shard list, with open-shard and consumer counts.</summary>
internal static class DescribeStreamSummary
{
    public static AwsOperation Operation(StreamsContext ctx) => new("DescribeStreamSummary",
        Input.StreamScoped(),
        (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = catalog.Stream(req.Body);
            var status = catalog.StatusOf(stream);
            w.WriteStartObject("StreamDescriptionSummary");
            w.WriteString("StreamName", stream.Name);
            w.WriteString("StreamARN", catalog.Arns.Stream(stream.Name));
            w.WriteString("StreamStatus", status.ToString());
            ShardOutput.WriteModeDetails(w, stream);
            w.WriteNumber("RetentionPeriodHours", stream.RetentionHours);
            w.WriteTimestamp("StreamCreationTimestamp", stream.CreatedMs);
            ShardOutput.WriteEnhancedMonitoring(w, stream);
            w.WriteString("EncryptionType", stream.EncryptionType);
            if (stream.KeyId is not null) w.WriteString("KeyId", stream.KeyId);
            w.WriteNumber("OpenShardCount", status == StreamStatus.CREATING ? 0 : stream.OpenShards.Length);
            w.WriteNumber("ConsumerCount", stream.Consumers.Count(c => c.DeletedAtMs is null));
            w.WriteNumber("MaxRecordSizeInKiB", stream.MaxRecordSizeKiB);
            if (stream.Mode == "ON_DEMAND" && stream.WarmThroughputMiBps is { } warm)
            {
                w.WriteStartObject("WarmThroughput");
                w.WriteNumber("TargetMiBps", warm);
                w.WriteNumber("CurrentMiBps", warm);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            return ValueTask.CompletedTask;
        });
}
