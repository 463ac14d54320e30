using System.Text.Json;
using Sluice.Streams.Catalog;
using Sluice.Streams.Shards;

namespace Sluice.Streams.Api;

/// <summary>The Shard and ChildShard structures as DescribeStream, ListShards and GetRecords return them.</summary>
internal static class ShardOutput
{
    public static void Write(Utf8JsonWriter w, ShardState shard)
    {
        w.WriteStartObject();
        w.WriteString("ShardId", shard.ShardId);
        if (shard.ParentShardId is not null) w.WriteString("ParentShardId", shard.ParentShardId);
        if (shard.AdjacentParentShardId is not null) w.WriteString("AdjacentParentShardId", shard.AdjacentParentShardId);
        WriteHashKeyRange(w, shard);
        w.WriteStartObject("SequenceNumberRange");
        w.WriteString("StartingSequenceNumber", SequenceNumbers.Format(shard.CreatedSeconds, shard.Index, 0, shard.CreatedSeconds));
        if (!shard.IsOpen) w.WriteString("EndingSequenceNumber", SequenceNumbers.Format(shard.CreatedSeconds, shard.Index, SequenceNumbers.EndIndex, shard.ClosedMs!.Value / 1000));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteChildren(Utf8JsonWriter w, StreamState stream, ShardState parent)
    {
        w.WriteStartArray("ChildShards");
        foreach (var child in stream.Shards.Where(c => c.ParentShardId == parent.ShardId || c.AdjacentParentShardId == parent.ShardId))
        {
            w.WriteStartObject();
            w.WriteString("ShardId", child.ShardId);
            w.WriteStartArray("ParentShards");
            if (child.ParentShardId is not null) w.WriteStringValue(child.ParentShardId);
            if (child.AdjacentParentShardId is not null) w.WriteStringValue(child.AdjacentParentShardId);
            w.WriteEndArray();
            WriteHashKeyRange(w, child);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteHashKeyRange(Utf8JsonWriter w, ShardState shard)
    {
        w.WriteStartObject("HashKeyRange");
        w.WriteString("StartingHashKey", HashKeys.Format(shard.StartHash));
        w.WriteString("EndingHashKey", HashKeys.Format(shard.EndHash));
        w.WriteEndObject();
    }

    /// <summary>Shards still within retention (a closed shard expires once retention passes its close time).</summary>
    public static IEnumerable<ShardState> Listed(StreamState stream, long nowMs) =>
        stream.Shards.Where(s => s.IsOpen || s.ClosedMs!.Value + (stream.RetentionHours * 3_600_000L) > nowMs).OrderBy(s => s.Index);

    public static void WriteModeDetails(Utf8JsonWriter w, StreamState stream)
    {
        w.WriteStartObject("StreamModeDetails");
        w.WriteString("StreamMode", stream.Mode);
        w.WriteEndObject();
    }

    public static void WriteEnhancedMonitoring(Utf8JsonWriter w, StreamState stream)
    {
        w.WriteStartArray("EnhancedMonitoring");
        w.WriteStartObject();
        w.WriteStartArray("ShardLevelMetrics");
        foreach (var m in stream.ShardLevelMetrics) w.WriteStringValue(m);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
    }
}
