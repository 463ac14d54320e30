namespace Sluice.LoadGen.Load;

/// <summary>Hands out fresh record indexes to workers, and stops the run when the endpoint keeps failing.</summary>
internal sealed class RecordSource(int records)
{
    // A dead or misconfigured endpoint should end the run in seconds, not after retrying every record.
    private const int MaxFailedRequestsInARow = 100;

    private long _next;
    private int _failedRequestsInARow;
    private volatile string? _stopReason;

    /// <summary>Records handed out so far (each was sent at least once).</summary>
    public int Claimed => (int)Math.Min(Interlocked.Read(ref _next), records);

    public string? StopReason => _stopReason;

    /// <summary>Fills <paramref name="into"/> with the next unclaimed indexes; returns how many, 0 once all are out.</summary>
    public int Claim(Span<int> into)
    {
        if (into.IsEmpty)
        {
            return 0;
        }

        long end = Interlocked.Add(ref _next, into.Length);
        long start = end - into.Length;
        if (start >= records)
        {
            return 0;
        }

        int count = (int)(Math.Min(end, records) - start);
        for (int i = 0; i < count; i++)
        {
            into[i] = (int)(start + i);
        }

        return count;
    }

    public void RequestAnswered() => Volatile.Write(ref _failedRequestsInARow, 0);

    public void RequestFailed(string error)
    {
        if (Interlocked.Increment(ref _failedRequestsInARow) >= MaxFailedRequestsInARow)
        {
            _stopReason ??= $"stopped after {MaxFailedRequestsInARow} failed requests in a row (last: {error})";
        }
    }
}
