using System.Collections.Concurrent;

namespace Sluice.Streams.Shards;

/// <summary>
/// The per-shard quotas of a provisioned shard, in rolling one-second windows: writes 1 MiB or 1,000 records,
/// reads 5 GetRecords calls and 2 MiB. Off unless enabled; when off every check passes.
/// </summary>
public sealed class ShardThroughput(bool enabled, TimeProvider time)
{
    public const int WriteBytesPerSecond = 1024 * 1024;
    public const int WriteRecordsPerSecond = 1000;
    public const int ReadCallsPerSecond = 5;
    public const int ReadBytesPerSecond = 2 * 1024 * 1024;

    private readonly ConcurrentDictionary<(long Stream, int Shard), Window> _windows = new();

    public bool Enabled => enabled;

    /// <summary>Takes one record's share of the shard's write quota; false when it would exceed it.</summary>
    public bool TryWrite(long streamId, int shardIndex, int bytes)
    {
        if (!enabled) return true;
        var w = Current(streamId, shardIndex);
        lock (w)
        {
            if (w.WriteRecords + 1 > WriteRecordsPerSecond || w.WriteBytes + bytes > WriteBytesPerSecond) return false;
            w.WriteRecords++;
            w.WriteBytes += bytes;
            return true;
        }
    }

    /// <summary>Takes one GetRecords call; false when the shard already served five this second or its 2 MiB.</summary>
    public bool TryRead(long streamId, int shardIndex)
    {
        if (!enabled) return true;
        var w = Current(streamId, shardIndex);
        lock (w)
        {
            if (w.ReadCalls + 1 > ReadCallsPerSecond || w.ReadBytes >= ReadBytesPerSecond) return false;
            w.ReadCalls++;
            return true;
        }
    }

    public void RecordRead(long streamId, int shardIndex, int bytes)
    {
        if (!enabled) return;
        var w = Current(streamId, shardIndex);
        lock (w) w.ReadBytes += bytes;
    }

    private Window Current(long streamId, int shardIndex)
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        var w = _windows.GetOrAdd((streamId, shardIndex), _ => new Window());
        lock (w)
        {
            if (w.Second != second)
            {
                w.Second = second;
                w.WriteBytes = w.WriteRecords = w.ReadCalls = w.ReadBytes = 0;
            }
        }

        return w;
    }

    private sealed class Window
    {
        public long Second;
        public int WriteBytes;
        public int WriteRecords;
        public int ReadCalls;
        public int ReadBytes;
    }
}
