namespace Sluice.LoadGen.Load;

/// <summary>What happened to each record of the run: attempts, acknowledgement, sequence number and shard.</summary>
/// <remarks>A record index belongs to one worker at a time, so writes need no locking; the verifier reads after the load ends.</remarks>
internal sealed class RecordLedger
{
    private readonly byte[] _attempts;
    private readonly byte[] _flags;
    private readonly short[] _shards;
    private readonly string?[]? _sequenceNumbers;

    public RecordLedger(int records, bool keepSequenceNumbers)
    {
        _attempts = new byte[records];
        _flags = new byte[records];
        _shards = new short[records];
        _sequenceNumbers = keepSequenceNumbers ? new string?[records] : null;
    }

    [Flags]
    private enum Flags : byte
    {
        Acknowledged = 1,
        // A transport error or server fault on some attempt: the record may be stored without an acknowledgement.
        Ambiguous = 2,
    }

    public int Count => _flags.Length;

    public int AddAttempt(int index) => _attempts[index] = (byte)Math.Min(byte.MaxValue, _attempts[index] + 1);

    public void Acknowledge(int index, string sequenceNumber, int shard)
    {
        _flags[index] |= (byte)Flags.Acknowledged;
        _shards[index] = (short)shard;
        if (_sequenceNumbers is not null)
        {
            _sequenceNumbers[index] = sequenceNumber;
        }
    }

    public void MarkAmbiguous(int index) => _flags[index] |= (byte)Flags.Ambiguous;

    public bool IsAcknowledged(int index) => (_flags[index] & (byte)Flags.Acknowledged) != 0;

    public bool IsAmbiguous(int index) => (_flags[index] & (byte)Flags.Ambiguous) != 0;

    public int Attempts(int index) => _attempts[index];

    public int ShardIndex(int index) => _shards[index];

    public string? SequenceNumber(int index) => _sequenceNumbers?[index];
}
