using System.Text.Json;

namespace Sluice.Analytics.Applications;

/// <summary>Where one input shard is read from next, and which in-app input stream its rows go to.</summary>
public sealed class ShardPosition
{
    public required string ShardId { get; init; }

    /// <summary>TRIM_HORIZON, LATEST, AT or AFTER (the last two with <see cref="SequenceNumber"/>).</summary>
    public required string Kind { get; set; }

    public string? SequenceNumber { get; set; }

    /// <summary>Index of the in-app input stream (<c>_001</c> = 0) this shard feeds.</summary>
    public int Stream { get; init; }

    public bool Ended { get; set; }
}

/// <summary>
/// A run's durable progress, saved together in one row so they always agree: input positions, the engine's operator
/// state, and per output the number of rows emitted and the output stream positions reached.
/// </summary>
public sealed class Checkpoint
{
    private static readonly JsonSerializerOptions Json = new();

    /// <summary>Identifies the code the state belongs to; state of other code is not restored.</summary>
    public string CodeHash { get; set; } = string.Empty;

    /// <summary>Bumped on every fresh start (NOW / TRIM_HORIZON), so row numbers of different runs never meet.</summary>
    public long Epoch { get; set; }

    public List<ShardPosition> Shards { get; set; } = [];

    /// <summary>Per output id: rows emitted (numbered 1..n within the epoch).</summary>
    public Dictionary<string, long> OutputRows { get; set; } = [];

    /// <summary>Per output id: per output shard, the last sequence number this application wrote there.</summary>
    public Dictionary<string, Dictionary<string, string>> OutputPositions { get; set; } = [];

    public long LastRowtimeMs { get; set; }

    public byte[]? State { get; set; }

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static Checkpoint? Deserialize(byte[]? data) => data is null ? null : JsonSerializer.Deserialize<Checkpoint>(data, Json);
}
