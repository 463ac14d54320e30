using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Streams.Api;

/// <summary>CreateStream: a PROVISIONED stream of ShardCount shards, or an ON_DEMAND stream, with even hash ranges.</summary>
internal static class CreateStream
{
    public static AwsOperation Operation(StreamsContext ctx) => new("CreateStream",
        new StructureShape()
            .Required("StreamName", Input.StreamName)
            .Optional("ShardCount", new NumberShape(false) { Min = 1 })
            .Optional("StreamModeDetails", new StructureShape().Required("StreamMode", new StringShape { Enum = ["PROVISIONED", "ON_DEMAND"] }))
            .Optional("Tags", new MapShape(Input.TagKey, Input.TagValue) { MaxLength = 200 })
            .Optional("WarmThroughputMiBps", new NumberShape(false) { Min = 0 })
            .Optional("MaxRecordSizeInKiB", new NumberShape(false) { Min = 1024, Max = 10240 }),
        async (req, w, ct) =>
        {
            var body = req.Body;
            var mode = body.Member("StreamModeDetails")?.Str("StreamMode") ?? "PROVISIONED";
            var shardCount = body.Int("ShardCount");
            if (mode == "PROVISIONED" && shardCount is null)
            {
                throw AwsException.Validation("1 validation error detected: Value null at 'shardCount' failed to satisfy constraint: Member must not be null");
            }

            if (mode == "PROVISIONED" && body.Int("WarmThroughputMiBps") is not null)
            {
                throw AwsException.InvalidArgument("WarmThroughputMiBps can only be set for streams in ON_DEMAND mode.");
            }

            var tags = body.TagMap("Tags");
            Input.CheckTags(tags, new Dictionary<string, string>());
            var shards = mode == "ON_DEMAND" ? ctx.Catalog.Settings.OnDemandShards : shardCount!.Value;
            await ctx.Catalog.CreateAsync(body.Str("StreamName")!, shards, mode, body.Int("MaxRecordSizeInKiB"), body.Int("WarmThroughputMiBps"), tags, ct);
        });
}
