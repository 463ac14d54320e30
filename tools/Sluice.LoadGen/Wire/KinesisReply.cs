namespace Sluice.LoadGen.Wire;

/// <summary>Status of one Kinesis call; on failure, the AWS error type and message. The body stays in the caller's buffer.</summary>
internal readonly record struct KinesisReply(int Status, string? ErrorType, string? Message)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>Server faults and throttles are worth another attempt; other client errors will fail again.</summary>
    public bool IsRetryable => Status >= 500 || KinesisError.IsTransient(ErrorType);
}
