namespace Sluice.Streams.Catalog;

/// <summary>A stream's status as the API reports it.</summary>
public enum StreamStatus
{
    CREATING,
    ACTIVE,
    UPDATING,
    DELETING,
}

/// <summary>A stream's metadata: settings, shards, tags and consumers. Mutated only under the catalog's lock.</summary>
public sealed class StreamState
{
    /// <summary>Storage key of the stream's records; a re-created stream gets a new one.</summary>
    public long Id { get; set; }

    public string Name { get; set; } = "";

    public long CreatedMs { get; set; }

    public StreamStatus Status { get; set; }

    /// <summary>When a CREATING/UPDATING status becomes ACTIVE, or a DELETING stream disappears.</summary>
    public long StatusUntilMs { get; set; }

    public string Mode { get; set; } = "PROVISIONED";

    public int RetentionHours { get; set; } = 24;

    public string EncryptionType { get; set; } = "NONE";

    public string? KeyId { get; set; }

    public List<string> ShardLevelMetrics { get; set; } = [];

    public int MaxRecordSizeKiB { get; set; } = 1024;

    public int? WarmThroughputMiBps { get; set; }

    public int NextShardIndex { get; set; }

    public List<ShardState> Shards { get; set; } = [];

    public SortedDictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);

    public List<ConsumerState> Consumers { get; set; } = [];

    /// <summary>Times of recent UpdateShardCount calls (AWS allows ten per rolling 24 hours).</summary>
    public List<long> ShardCountUpdatesMs { get; set; } = [];

    /// <summary>Times of recent capacity-mode switches (AWS allows two per rolling 24 hours).</summary>
    public List<long> ModeSwitchesMs { get; set; } = [];

    /// <summary>Open shards ordered by starting hash key; replaced whole, so the put path reads it without a lock.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ShardState[] OpenShards { get; private set; } = [];

    public void RefreshOpenShards() =>
        OpenShards = Shards.Where(s => s.IsOpen).OrderBy(s => s.StartHash).ToArray();

    /// <summary>The open shard whose hash range holds the key.</summary>
    public ShardState? ShardFor(UInt128 hashKey)
    {
        var open = OpenShards;
        int lo = 0, hi = open.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            var s = open[mid];
            if (hashKey < s.StartHash) hi = mid - 1;
            else if (hashKey > s.EndHash) lo = mid + 1;
            else return s;
        }

        return null;
    }

    public ShardState? FindShard(string shardId) => Shards.Find(s => s.ShardId == shardId);

    /// <summary>Takes another replica's view of this stream, keeping the shard objects readers already hold.</summary>
    public void CopyFrom(StreamState other)
    {
        Status = other.Status;
        StatusUntilMs = other.StatusUntilMs;
        Mode = other.Mode;
        RetentionHours = other.RetentionHours;
        EncryptionType = other.EncryptionType;
        KeyId = other.KeyId;
        ShardLevelMetrics = other.ShardLevelMetrics;
        MaxRecordSizeKiB = other.MaxRecordSizeKiB;
        WarmThroughputMiBps = other.WarmThroughputMiBps;
        NextShardIndex = other.NextShardIndex;
        Tags = other.Tags;
        Consumers = other.Consumers;
        ShardCountUpdatesMs = other.ShardCountUpdatesMs;
        ModeSwitchesMs = other.ModeSwitchesMs;
        var shards = new List<ShardState>(other.Shards.Count);
        foreach (var incoming in other.Shards)
        {
            var shard = FindShard(incoming.Index);
            if (shard is null)
            {
                shards.Add(incoming);
                continue;
            }

            shard.ClosedMs = incoming.ClosedMs;
            shard.EndRecordIndex = incoming.EndRecordIndex;
            shards.Add(shard);
        }

        Shards = shards;
        RefreshOpenShards();
    }

    public ShardState? FindShard(int index) => Shards.Find(s => s.Index == index);
}

/// <summary>One shard: its hash range, lineage and, once closed, where its records end.</summary>
public sealed class ShardState
{
    public int Index { get; set; }

    [System.Text.Json.Serialization.JsonIgnore]
    public string ShardId => FormatId(Index);

    public UInt128 StartHash { get; set; }

    public UInt128 EndHash { get; set; }

    public string? ParentShardId { get; set; }

    public string? AdjacentParentShardId { get; set; }

    public long CreatedMs { get; set; }

    /// <summary>The creation second encoded in the shard's sequence numbers; later than every parent's.</summary>
    public long CreatedSeconds { get; set; }

    public long? ClosedMs { get; set; }

    /// <summary>Index one past the shard's last record, fixed when the shard closes.</summary>
    public long? EndRecordIndex { get; set; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsOpen => ClosedMs is null;

    public static string FormatId(int index) => "shardId-" + index.ToString("D12", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>An enhanced fan-out consumer registered on a stream.</summary>
public sealed class ConsumerState
{
    public string Name { get; set; } = "";

    public long CreatedMs { get; set; }

    /// <summary>CREATING until this time, then ACTIVE.</summary>
    public long ActiveAtMs { get; set; }

    /// <summary>Set when deregistered: DELETING until this time, then gone.</summary>
    public long? DeletedAtMs { get; set; }

    public SortedDictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);
}
