using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Catalog;

namespace Sluice.Streams.Api;

/// <summary>ListShards: shards within retention, filtered by ShardFilter or ExclusiveStartShardId, paged by NextToken.</summary>
internal static class ListShards
{
    private static readonly string[] FilterTypes = ["AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP"];

    public static AwsOperation Operation(StreamsContext ctx) => new("ListShards",
        Input.StreamScoped()
            .Optional("NextToken", Input.NextToken)
            .Optional("ExclusiveStartShardId", Input.ShardId)
            .Optional("MaxResults", new NumberShape(false) { Min = 1, Max = 10000 })
            .Optional("StreamCreationTimestamp", new TimestampShape())
            .Optional("ShardFilter", new StructureShape()
                .Required("Type", new StringShape { Enum = FilterTypes })
                .Optional("ShardId", Input.ShardId)
                .Optional("Timestamp", new TimestampShape())),
        (req, w, ct) =>
        {
            var body = req.Body;
            var catalog = ctx.Catalog;
            var max = Math.Min(body.Int("MaxResults") ?? 1000, 1000);
            StreamState stream;
            string? after = body.Str("ExclusiveStartShardId");
            if (body.Str("NextToken") is { } token)
            {
                if (body.Str("StreamName") is not null || body.Str("StreamARN") is not null)
                {
                    throw AwsException.InvalidArgument("NextToken and StreamName cannot be provided together.");
                }

                if (after is not null || body.Member("StreamCreationTimestamp") is not null)
                {
                    throw AwsException.InvalidArgument("NextToken cannot be provided together with ExclusiveStartShardId or StreamCreationTimestamp.");
                }

                var read = ctx.Tokens.Read("ListShards", token) ?? throw AwsException.InvalidArgument("Invalid NextToken.");
                if (read.Expired) throw new AwsException("ExpiredNextTokenException", "The timestamp provided in the token has expired.");
                stream = catalog.Get(read.Scope);
                after = read.After;
            }
            else
            {
                stream = catalog.Stream(body);
            }

            var status = catalog.StatusOf(stream);
            if (status == StreamStatus.CREATING) throw AwsException.InUse(catalog.Arns.InUse(stream.Name, status));

            var now = catalog.NowMs;
            var listed = ShardOutput.Listed(stream, now).ToList();
            IEnumerable<ShardState> shards = listed;
            if (body.Member("ShardFilter") is { } filter)
            {
                var type = filter.Str("Type")!;
                var filterShard = filter.Str("ShardId");
                var timestamp = filter.Time("Timestamp")?.ToUnixTimeMilliseconds();
                if (type == "AFTER_SHARD_ID" && filterShard is null) throw AwsException.InvalidArgument("Must specify ShardId in ShardFilter when the ShardFilter type is AFTER_SHARD_ID.");
                if (type is "AT_TIMESTAMP" or "FROM_TIMESTAMP" && timestamp is null) throw AwsException.InvalidArgument($"Must specify Timestamp in ShardFilter when the ShardFilter type is {type}.");
                var ids = listed.Select(s => s.ShardId).ToHashSet();
                var trimHorizon = now - (stream.RetentionHours * 3_600_000L);
                shards = type switch
                {
                    "AFTER_SHARD_ID" => listed.Where(s => string.CompareOrdinal(s.ShardId, filterShard) > 0),
                    "AT_TRIM_HORIZON" => listed.Where(s => !IsListed(s.ParentShardId, ids) && !IsListed(s.AdjacentParentShardId, ids)),
                    "AT_LATEST" => listed.Where(s => s.IsOpen),
                    "AT_TIMESTAMP" => OpenAt(listed, stream, Math.Max(timestamp!.Value, trimHorizon)),
                    "FROM_TIMESTAMP" => listed.Where(s => s.IsOpen || s.ClosedMs >= Math.Max(timestamp!.Value, trimHorizon)),
                    _ => listed,
                };
            }

            var result = shards.Where(s => after is null || string.CompareOrdinal(s.ShardId, after) > 0).ToList();
            w.WriteStartArray("Shards");
            foreach (var shard in result.Take(max)) ShardOutput.Write(w, shard);
            w.WriteEndArray();
            if (result.Count > max) w.WriteString("NextToken", ctx.Tokens.Issue("ListShards", stream.Name, result[max - 1].ShardId));
            return ValueTask.CompletedTask;
        });

    private static bool IsListed(string? shardId, HashSet<string> ids) => shardId is not null && ids.Contains(shardId);

    private static IEnumerable<ShardState> OpenAt(List<ShardState> shards, StreamState stream, long at)
    {
        // Before the stream's first shards existed, the first shards are the ones "open" at that time.
        var t = Math.Max(at, stream.CreatedMs);
        return shards.Where(s => s.CreatedMs <= t && (s.IsOpen || s.ClosedMs > t));
    }
}
