using System.Globalization;
using System.Numerics;

namespace Sluice.LoadGen.Verify;

/// <summary>What reading one shard found: records read, records of other writers, and sequence-number order.</summary>
internal sealed class ShardTally(string shardId)
{
    private BigInteger? _lastSequenceNumber;

    public string ShardId { get; } = shardId;

    public long RecordsRead { get; set; }

    /// <summary>Records that are not from this run (an earlier run on a kept stream, another writer).</summary>
    public long Unrecognised { get; set; }

    /// <summary>Records whose sequence number is not above the previous one in the shard, or not a decimal number.</summary>
    public long OrderViolations { get; private set; }

    /// <summary>Why reading stopped before the shard was caught up, if it did.</summary>
    public string? Incomplete { get; set; }

    /// <summary>Sequence numbers are compared as integers, as KCL does: they are longer than any fixed-width type.</summary>
    public void ObserveSequenceNumber(string? text)
    {
        if (!BigInteger.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out BigInteger value))
        {
            OrderViolations++;
            return;
        }

        if (_lastSequenceNumber is { } last && value <= last)
        {
            OrderViolations++;
        }

        _lastSequenceNumber = value;
    }
}
