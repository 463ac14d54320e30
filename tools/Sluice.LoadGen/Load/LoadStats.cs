namespace Sluice.LoadGen.Load;

/// <summary>Counters one worker keeps while loading; the run's totals are their sum.</summary>
internal sealed class LoadStats
{
    public long Requests { get; set; }

    public long RecordsAcknowledged { get; set; }

    public long BytesAcknowledged { get; set; }

    /// <summary>Records the server rejected: PutRecords entries with an ErrorCode, or failed PutRecord calls.</summary>
    public long FailedRecords { get; set; }

    /// <summary>Record re-sends after a rejection or a failed request.</summary>
    public long Retries { get; set; }

    public Dictionary<string, long> RequestErrors { get; } = [];

    public Dictionary<string, long> RecordErrors { get; } = [];

    public LatencyHistogram Latency { get; } = new();

    public static void Count(Dictionary<string, long> counts, string key, long by = 1) =>
        counts[key] = counts.GetValueOrDefault(key) + by;

    public void Add(LoadStats other)
    {
        Requests += other.Requests;
        RecordsAcknowledged += other.RecordsAcknowledged;
        BytesAcknowledged += other.BytesAcknowledged;
        FailedRecords += other.FailedRecords;
        Retries += other.Retries;
        foreach (var (key, value) in other.RequestErrors)
        {
            Count(RequestErrors, key, value);
        }

        foreach (var (key, value) in other.RecordErrors)
        {
            Count(RecordErrors, key, value);
        }

        Latency.Add(other.Latency);
    }
}
