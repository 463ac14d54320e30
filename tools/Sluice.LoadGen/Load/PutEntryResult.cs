namespace Sluice.LoadGen.Load;

/// <summary>Outcome of one record in a put response: a sequence number and shard, or an error code.</summary>
internal readonly record struct PutEntryResult(string? SequenceNumber, int ShardIndex, string? ErrorCode)
{
    public bool IsAcknowledged => ErrorCode is null && SequenceNumber is not null && ShardIndex >= 0;
}
