using Sluice.LoadGen.Load;
using Sluice.LoadGen.Verify;

namespace Sluice.LoadGen.Report;

/// <summary>The figures of one run, printed as text or as one JSON line.</summary>
internal sealed record RunReport
{
    public required string Endpoint { get; init; }
    public required string Stream { get; init; }
    public int Shards { get; init; }
    public required string Operation { get; init; }
    public int Batch { get; init; }
    public int RecordSize { get; init; }
    public int Concurrency { get; init; }
    public double ElapsedSeconds { get; init; }
    public long RecordsAcknowledged { get; init; }
    public long RecordsNotAcknowledged { get; init; }
    public double RecordsPerSecond { get; init; }
    public double MegabytesPerSecond { get; init; }
    public long Requests { get; init; }
    public required LatencyFigures LatencyMs { get; init; }
    public long FailedRecords { get; init; }
    public long Retries { get; init; }
    public required IReadOnlyDictionary<string, long> RequestErrors { get; init; }
    public required IReadOnlyDictionary<string, long> RecordErrors { get; init; }
    public double ClientCpuCores { get; init; }
    public int MachineCores { get; init; }
    public string? StoppedEarly { get; init; }
    public VerificationResult? Verification { get; init; }

    public static RunReport From(LoadGenOptions options, int shards, LoadResult load, VerificationResult? verification)
    {
        LoadStats stats = load.Stats;
        double seconds = Math.Max(load.Elapsed.TotalSeconds, 1e-9);
        return new RunReport
        {
            Endpoint = options.Endpoint.ToString(),
            Stream = options.StreamName,
            Shards = shards,
            Operation = options.SingleRecordCalls ? "PutRecord" : "PutRecords",
            Batch = options.Batch,
            RecordSize = options.RecordSize,
            Concurrency = options.Concurrency,
            ElapsedSeconds = Math.Round(seconds, 3),
            RecordsAcknowledged = stats.RecordsAcknowledged,
            RecordsNotAcknowledged = load.RecordsAttempted - stats.RecordsAcknowledged,
            RecordsPerSecond = Math.Round(stats.RecordsAcknowledged / seconds, 1),
            // Data bytes only (no keys, no base64 or JSON overhead), in 10^6 bytes.
            MegabytesPerSecond = Math.Round(stats.BytesAcknowledged / seconds / 1e6, 3),
            Requests = stats.Requests,
            LatencyMs = LatencyFigures.From(stats.Latency),
            FailedRecords = stats.FailedRecords,
            Retries = stats.Retries,
            RequestErrors = stats.RequestErrors,
            RecordErrors = stats.RecordErrors,
            ClientCpuCores = Math.Round(load.ClientCpu.TotalSeconds / seconds, 2),
            MachineCores = Environment.ProcessorCount,
            StoppedEarly = load.StoppedEarly,
            Verification = verification,
        };
    }
}

/// <summary>Request latency percentiles in milliseconds.</summary>
internal sealed record LatencyFigures(double P50, double P90, double P99, double Max)
{
    public static LatencyFigures From(LatencyHistogram histogram) => new(
        Math.Round(histogram.PercentileMs(50), 2),
        Math.Round(histogram.PercentileMs(90), 2),
        Math.Round(histogram.PercentileMs(99), 2),
        Math.Round(histogram.MaxMicros / 1000.0, 2));
}
