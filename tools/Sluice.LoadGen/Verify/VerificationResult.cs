namespace Sluice.LoadGen.Verify;

/// <summary>The read-back verdict: every acknowledged record read exactly once, intact, in per-shard order.</summary>
internal sealed record VerificationResult
{
    public int Shards { get; init; }

    public long RecordsRead { get; init; }

    /// <summary>Acknowledged records read back with the same sequence number, shard, partition key and data.</summary>
    public long Verified { get; init; }

    public long Missing { get; init; }

    /// <summary>Extra copies of records whose every attempt got a clear answer.</summary>
    public long Duplicated { get; init; }

    /// <summary>Acknowledged records read back only with another sequence number, shard, key or data.</summary>
    public long Mismatched { get; init; }

    /// <summary>Records read back although the server rejected every attempt.</summary>
    public long Unacknowledged { get; init; }

    /// <summary>Copies explained by a timeout or server fault on some attempt (at-least-once delivery).</summary>
    public long ExpectedExtras { get; init; }

    public long OrderViolations { get; init; }

    public long Unrecognised { get; init; }

    public string? Incomplete { get; init; }

    public double ElapsedSeconds { get; init; }

    public bool Passed => Missing == 0 && Duplicated == 0 && Mismatched == 0 && Unacknowledged == 0 && OrderViolations == 0 && Incomplete is null;

    public string Summary
    {
        get
        {
            string text = $"verified {Verified} records, {Missing} missing, {Duplicated} duplicated, "
                + (OrderViolations == 0 ? "order ok" : $"order broken ({OrderViolations} out of order)");
            if (Mismatched > 0)
            {
                text += $", {Mismatched} mismatched";
            }

            if (Unacknowledged > 0)
            {
                text += $", {Unacknowledged} stored despite rejection";
            }

            if (ExpectedExtras > 0)
            {
                text += $", {ExpectedExtras} extra copies after timeouts/5xx";
            }

            if (Unrecognised > 0)
            {
                text += $", {Unrecognised} records from other writers ignored";
            }

            return Incomplete is null ? text : $"{text}; INCOMPLETE ({Incomplete})";
        }
    }
}
