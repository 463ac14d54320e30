using Google.Protobuf;
using Sluice.AwsProtocol;
using Sluice.Streams.Api;
using Sluice.Streams.Catalog;
using Sluice.Streams.Shards;
using Sluice.Streams.Storage;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>What GetRecords and Subscribe share: finding a shard, resolving a starting position, and the wire shapes of records and shards.</summary>
internal static class ShardReads
{
    /// <summary>The stream by name (NOT_FOUND when unknown or still being created) and one of its shards, retained or not.</summary>
    public static (StreamState Stream, ShardState Shard) Find(StreamsContext ctx, string streamName, string shardId)
    {
        var stream = ReadableStream(ctx, streamName);
        StreamsGrpc.Required(shardId, "shard_id");
        var shard = stream.FindShard(shardId)
            ?? throw AwsException.NotFound($"Shard {shardId} in stream {stream.Name} under account {ctx.Catalog.Arns.Account} does not exist");
        return (stream, shard);
    }

    public static StreamState ReadableStream(StreamsContext ctx, string streamName)
    {
        var stream = ctx.Catalog.Get(StreamsGrpc.Required(streamName, "stream_name"));
        if (ctx.Catalog.StatusOf(stream) == StreamStatus.CREATING) throw AwsException.NotFound(ctx.Catalog.Arns.NotFound(stream.Name));
        return stream;
    }

    /// <summary>The record index a starting position names in the shard.</summary>
    public static async Task<long> StartIndexAsync(StreamsContext ctx, StreamState stream, ShardState shard, StartingPosition? position, CancellationToken ct)
    {
        var type = position?.Type ?? StartingPosition.Types.Type.Unspecified;
        switch (type)
        {
            case StartingPosition.Types.Type.TrimHorizon:
                return 0;
            case StartingPosition.Types.Type.Latest:
                return shard.EndRecordIndex ?? await ctx.Store.NextRecordIndexAsync(stream.Id, shard.Index, ct);
            case StartingPosition.Types.Type.AtSequenceNumber:
            case StartingPosition.Types.Type.AfterSequenceNumber:
                {
                    var text = position!.SequenceNumber;
                    if (!SequenceNumbers.TryParse(text, out var parsed) || parsed.ShardIndex != shard.Index || parsed.ShardCreatedSeconds != shard.CreatedSeconds)
                    {
                        throw AwsException.InvalidArgument($"Sequence number '{text}' does not belong to shard {shard.ShardId} of stream {stream.Name}.");
                    }

                    if (parsed.RecordIndex == SequenceNumbers.EndIndex) return shard.EndRecordIndex ?? parsed.RecordIndex;
                    return type == StartingPosition.Types.Type.AtSequenceNumber ? parsed.RecordIndex : parsed.RecordIndex + 1;
                }

            default:
                throw AwsException.InvalidArgument("position.type must be TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER.");
        }
    }

    public static Record ToRecord(ShardState shard, in StoredRecord r) => new()
    {
        SequenceNumber = SequenceNumbers.Format(shard.CreatedSeconds, shard.Index, r.Index, r.ArrivalMs / 1000),
        ApproximateArrivalTimestampMs = r.ArrivalMs,

        // Stored records are never changed after a read, so the message can wrap the array instead of copying it.
        Data = UnsafeByteOperations.UnsafeWrap(r.Data),
        PartitionKey = r.PartitionKey,
    };

    /// <summary>The position of the next record, to resume from with AT_SEQUENCE_NUMBER.</summary>
    public static string Continuation(ShardState shard, long nextIndex, long nowMs) =>
        SequenceNumbers.Format(shard.CreatedSeconds, shard.Index, nextIndex, nowMs / 1000);

    public static long MillisBehind(IReadOnlyList<StoredRecord> records, long nextIndex, long tip, long nowMs) =>
        nextIndex >= tip || records.Count == 0 ? 0 : Math.Max(0, nowMs - records[^1].ArrivalMs);

    public static void AddChildren(Google.Protobuf.Collections.RepeatedField<ChildShard> into, StreamState stream, ShardState parent)
    {
        foreach (var child in stream.Shards)
        {
            if (child.ParentShardId != parent.ShardId && child.AdjacentParentShardId != parent.ShardId) continue;
            var c = new ChildShard { ShardId = child.ShardId, HashKeyRange = Range(child) };
            if (child.ParentShardId is not null) c.ParentShardIds.Add(child.ParentShardId);
            if (child.AdjacentParentShardId is not null) c.ParentShardIds.Add(child.AdjacentParentShardId);
            into.Add(c);
        }
    }

    public static Shard ToShard(ShardState shard)
    {
        var s = new Shard
        {
            ShardId = shard.ShardId,
            ParentShardId = shard.ParentShardId ?? "",
            AdjacentParentShardId = shard.AdjacentParentShardId ?? "",
            HashKeyRange = Range(shard),
            StartingSequenceNumber = SequenceNumbers.Format(shard.CreatedSeconds, shard.Index, 0, shard.CreatedSeconds),
            Open = shard.IsOpen,
        };
        if (!shard.IsOpen) s.EndingSequenceNumber = SequenceNumbers.Format(shard.CreatedSeconds, shard.Index, SequenceNumbers.EndIndex, shard.ClosedMs!.Value / 1000);
        return s;
    }

    private static HashKeyRange Range(ShardState shard) =>
        new() { StartingHashKey = HashKeys.Format(shard.StartHash), EndingHashKey = HashKeys.Format(shard.EndHash) };
}
