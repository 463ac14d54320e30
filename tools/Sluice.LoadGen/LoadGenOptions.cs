namespace Sluice.LoadGen;

/// <summary>Settings for one load-generator run, as given on the command line.</summary>
internal sealed record LoadGenOptions
{
    public required Uri Endpoint { get; init; }
    public required string StreamName { get; init; }
    public bool Create { get; init; }
    public int Shards { get; init; }
    public bool Keep { get; init; }
    public int Records { get; init; }
    public int Batch { get; init; }
    public int RecordSize { get; init; }
    public int Concurrency { get; init; }
    public TimeSpan? Duration { get; init; }
    public bool Verify { get; init; }
    public TimeSpan VerifyTimeout { get; init; }
    public bool RetryFailed { get; init; }
    public int MaxAttempts { get; init; }
    public bool Json { get; init; }
    public required string AccessKey { get; init; }
    public required string SecretKey { get; init; }
    public required string Region { get; init; }

    /// <summary>Batch 1 means single PutRecord calls rather than one-entry PutRecords.</summary>
    public bool SingleRecordCalls => Batch == 1;
}
